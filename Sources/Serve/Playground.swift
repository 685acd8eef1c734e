// GET /: the playground, one self-contained page (no external scripts, styles or fonts: it works offline). It uses
// the public API only: /v1/models for the picker, /v1/completions with stream: true for generation (the stop button
// aborts the fetch, which frees the stream on the server), and echo + logprobs for the score view, which colours
// each token by its surprisal.

/// The page, served as it is.
let playgroundPage = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>charrnn playground</title>
    <style>
      :root { --ink: #1d232a; --muted: #5f6b76; --line: #d4dae0; --accent: #2f6fb3; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: #f6f7f9; }
      header { padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); display: flex; gap: 16px;
               align-items: baseline; }
      header h1 { font-size: 18px; margin: 0; }
      header nav button { border: 0; background: none; padding: 4px 8px; cursor: pointer; color: var(--muted); }
      header nav button.on { color: var(--accent); border-bottom: 2px solid var(--accent); }
      main { max-width: 980px; margin: 16px auto; padding: 0 20px; }
      .controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 10px 0; }
      label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
      input, select { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; }
      input[type=number] { width: 90px; }
      textarea { width: 100%; min-height: 90px; font: 14px/1.4 ui-monospace, monospace; padding: 8px;
                 border: 1px solid var(--line); border-radius: 4px; }
      button.primary { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: 6px 14px;
                       font: inherit; cursor: pointer; }
      button.primary:disabled { opacity: .5; cursor: default; }
      button.secondary { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 6px 14px;
                         font: inherit; cursor: pointer; }
      #output, #scored { white-space: pre-wrap; font: 14px/1.5 ui-monospace, monospace; background: #fff;
                         border: 1px solid var(--line); border-radius: 4px; padding: 10px; min-height: 160px; }
      #output .prompt { color: var(--muted); }
      #status, #score-status { color: var(--muted); font-size: 13px; margin-top: 6px; min-height: 1.2em; }
      .legend { display: flex; gap: 4px; align-items: center; font-size: 12px; color: var(--muted); margin: 6px 0; }
      .legend span.swatch { width: 26px; height: 12px; display: inline-block; }
      [hidden] { display: none !important; }
    </style>
    </head>
    <body>
    <header>
      <h1>charrnn playground</h1>
      <nav>
        <button id="tab-generate" class="on" type="button">Generate</button>
        <button id="tab-score" type="button">Score</button>
      </nav>
      <label style="margin-left:auto">API key
        <input id="key" type="password" placeholder="if the server needs one"></label>
    </header>
    <main>
      <div class="controls">
        <label>Model <select id="model"></select></label>
      </div>
      <section id="generate">
        <textarea id="prompt" placeholder="Text to continue (empty: start as after a line feed)"></textarea>
        <div class="controls">
          <label>Temperature <input id="temperature" type="number" value="0.8" min="0.05" max="3" step="0.05"></label>
          <label>top-p <input id="top_p" type="number" value="1" min="0.01" max="1" step="0.01"></label>
          <label>Length (tokens) <input id="max_tokens" type="number" value="400" min="1" max="4096" step="1"></label>
          <label>Seed <input id="seed" type="number" placeholder="random" min="0" step="1"></label>
          <button id="go" class="primary" type="button">Generate</button>
          <button id="stop" class="secondary" type="button" disabled>Stop</button>
        </div>
        <div id="output"></div>
        <div id="status"></div>
      </section>
      <section id="score" hidden>
        <textarea id="score-text" placeholder="Paste text to score"></textarea>
        <div class="controls"><button id="score-go" class="primary" type="button">Score</button></div>
        <div class="legend">surprisal: 0 bits <span class="swatch" style="background:hsl(120,70%,88%)"></span>
          <span class="swatch" style="background:hsl(60,80%,80%)"></span>
          <span class="swatch" style="background:hsl(0,80%,75%)"></span> 8+ bits</div>
        <div id="scored"></div>
        <div id="score-status"></div>
      </section>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    let controller = null;

    function headers() {
      const h = { "Content-Type": "application/json" };
      if ($("key").value) h["Authorization"] = "Bearer " + $("key").value;
      return h;
    }

    async function errorText(response) {
      try { return (await response.json()).error.message; }
      catch (e) { return response.status + " " + response.statusText; }
    }

    async function loadModels() {
      const response = await fetch("/v1/models", { headers: headers() });
      if (!response.ok) { $("status").textContent = await errorText(response); return; }
      const list = (await response.json()).data;
      $("model").innerHTML = "";
      for (const m of list) {
        const option = document.createElement("option");
        option.value = m.id;
        option.textContent = m.id + " (" + m.charrnn.layers + "×" + m.charrnn.hidden_size + " " + m.charrnn.cell + ")";
        $("model").appendChild(option);
      }
    }

    function show(tab) {
      $("generate").hidden = tab !== "generate";
      $("score").hidden = tab !== "score";
      $("tab-generate").classList.toggle("on", tab === "generate");
      $("tab-score").classList.toggle("on", tab === "score");
    }

    async function generate() {
      const body = {
        model: $("model").value, prompt: $("prompt").value, stream: true,
        temperature: Number($("temperature").value), top_p: Number($("top_p").value),
        max_tokens: Number($("max_tokens").value),
      };
      if ($("seed").value !== "") body.seed = Number($("seed").value);
      $("output").textContent = "";
      const prompt = document.createElement("span");
      prompt.className = "prompt";
      prompt.textContent = body.prompt;
      const text = document.createElement("span");
      text.id = "generated";
      $("output").append(prompt, text);
      $("status").textContent = "generating…";
      $("go").disabled = true;
      $("stop").disabled = false;
      controller = new AbortController();
      const started = performance.now();
      let tokens = 0, finish = null;
      try {
        const response = await fetch("/v1/completions", {
          method: "POST", headers: headers(), body: JSON.stringify(body), signal: controller.signal });
        if (!response.ok) throw new Error(await errorText(response));
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (!event.startsWith("data: ")) continue;
            const data = event.slice(6);
            if (data === "[DONE]") continue;
            const chunk = JSON.parse(data);
            if (chunk.error) throw new Error(chunk.error.message);
            const choice = chunk.choices[0];
            text.textContent += choice.text;
            if (choice.text) tokens++;
            if (choice.finish_reason) finish = choice.finish_reason;
          }
        }
        const seconds = (performance.now() - started) / 1000;
        $("status").textContent = "done (" + finish + ") in " + seconds.toFixed(2) + " s";
      } catch (e) {
        $("status").textContent = e.name === "AbortError" ? "stopped" : "error: " + e.message;
      } finally {
        $("go").disabled = false;
        $("stop").disabled = true;
        controller = null;
      }
    }

    async function score() {
      const text = $("score-text").value;
      $("scored").textContent = "";
      $("score-status").textContent = "scoring…";
      const response = await fetch("/v1/completions", {
        method: "POST", headers: headers(),
        body: JSON.stringify({ model: $("model").value, prompt: text, max_tokens: 0, echo: true, logprobs: 0 }) });
      if (!response.ok) { $("score-status").textContent = "error: " + await errorText(response); return; }
      const logprobs = (await response.json()).choices[0].logprobs;
      let total = 0, counted = 0;
      logprobs.tokens.forEach((token, i) => {
        const span = document.createElement("span");
        span.textContent = token;
        const lp = logprobs.token_logprobs[i];
        if (lp !== null) {
          const bits = -lp / Math.LN2;
          total += bits; counted++;
          const t = Math.min(bits / 8, 1);
          span.style.background = "hsl(" + (120 - 120 * t) + ",75%," + (88 - 13 * t) + "%)";
          span.title = bits.toFixed(2) + " bits";
          span.dataset.bits = bits.toFixed(3);
        }
        $("scored").appendChild(span);
      });
      $("score-status").textContent =
        counted ? (total / counted).toFixed(3) + " bits per token over " + counted + " tokens" : "";
    }

    $("tab-generate").onclick = () => show("generate");
    $("tab-score").onclick = () => show("score");
    $("go").onclick = generate;
    $("stop").onclick = () => { if (controller) controller.abort(); };
    $("score-go").onclick = score;
    $("key").onchange = loadModels;
    loadModels();
    </script>
    </body>
    </html>
    """#
