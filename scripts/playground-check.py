"""The playground in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by Selenium.

Starts charrnn-serve on a free loopback port, loads the page, generates with a seed and checks that the streamed
text equals the API's answer for the same request, stops a long generation with the stop button and checks that
the server freed its stream, and scores a text in the score view (one coloured span per token, the API's
surprisals). With --screenshot PATH it saves the page after generating, and the score view as PATH-score.png.

usage: python playground-check.py SERVE_BINARY MODEL [--screenshot PATH]
Exit status 0 when every check holds; the first failure is printed.
"""

import argparse
import json
import re
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def start_server(binary, model):
    server = subprocess.Popen(
        [binary, "-m", f"en={model}", "--port", "0", "--threads", "1"], stdout=subprocess.PIPE, text=True
    )
    line = server.stdout.readline()
    match = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not match:
        server.kill()
        raise SystemExit(f"playground-check: the server did not start: {line!r}")
    return server, int(match.group(1))


def post(port, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/completions", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name):
                return float(line.split()[-1])
    return None


def check(condition, message):
    if not condition:
        raise SystemExit(f"playground-check: FAILED: {message}")
    print(f"playground-check: ok: {message}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("model")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    server, port = start_server(args.binary, args.model)
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,800"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        wait = WebDriverWait(browser, 60)
        browser.get(f"http://127.0.0.1:{port}/")
        wait.until(lambda b: len(Select(b.find_element(By.ID, "model")).options) == 1)

        # Generate with a seed: the streamed text equals the API's for the same request.
        fields = {"prompt": "The ", "temperature": "0.9", "top_p": "1", "max_tokens": "120", "seed": "42"}
        for name, value in fields.items():
            element = browser.find_element(By.ID, name)
            element.clear()
            element.send_keys(value)
        browser.find_element(By.ID, "go").click()
        wait.until(lambda b: b.find_element(By.ID, "status").text.startswith("done"))
        shown = browser.execute_script("return document.getElementById('generated').textContent")
        api = post(port, {"model": "en", "prompt": "The ", "temperature": 0.9, "top_p": 1, "max_tokens": 120,
                          "seed": 42})["choices"][0]["text"]
        check(shown == api, f"the page's streamed text equals the API's ({len(api)} characters)")
        if args.screenshot:
            browser.save_screenshot(args.screenshot)
            print(f"playground-check: screenshot in {args.screenshot}")

        # Stop: a long generation stopped from the page frees its stream on the server.
        length = browser.find_element(By.ID, "max_tokens")
        length.clear()
        length.send_keys("4096")
        browser.find_element(By.ID, "seed").clear()
        browser.find_element(By.ID, "go").click()
        wait.until(lambda b: len(b.execute_script("return document.getElementById('generated').textContent")) > 20)
        browser.find_element(By.ID, "stop").click()
        wait.until(lambda b: b.find_element(By.ID, "status").text == "stopped")
        deadline = time.time() + 10
        while time.time() < deadline and metric(port, 'charrnn_streams_active{model="en"}') != 0:
            time.sleep(0.05)
        check(metric(port, 'charrnn_streams_active{model="en"}') == 0, "the stop button frees the stream")

        # Score: one span per token, each with the API's surprisal.
        browser.find_element(By.ID, "tab-score").click()
        text = "Whatever you do, do it well.\nThe quick brown fox jumps over the lazy dog. Qxzv!"
        browser.find_element(By.ID, "score-text").send_keys(text)
        browser.find_element(By.ID, "score-go").click()
        wait.until(lambda b: "bits per token" in b.find_element(By.ID, "score-status").text)
        spans = browser.find_elements(By.CSS_SELECTOR, "#scored span")
        scored = post(port, {"model": "en", "prompt": text, "max_tokens": 0, "echo": True, "logprobs": 0})
        logprobs = scored["choices"][0]["logprobs"]
        check(len(spans) == len(logprobs["tokens"]), f"the score view shows {len(spans)} tokens")
        shown_bits = [float(s.get_attribute("data-bits")) for s in spans[1:]]
        api_bits = [-lp / 0.6931471805599453 for lp in logprobs["token_logprobs"][1:]]
        check(len(shown_bits) == len(api_bits) and all(abs(a - b) <= 0.0011 for a, b in zip(shown_bits, api_bits)),
              "each token's colour comes from the API's surprisal")
        if args.screenshot:
            path = args.screenshot.replace(".png", "-score.png")
            browser.save_screenshot(path)
            print(f"playground-check: screenshot of the score view in {path}")
    finally:
        browser.quit()
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
