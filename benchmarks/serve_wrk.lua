-- wrk's request for charrnn serve: one streaming completion of 200 tokens (wrk reads each response to its end, so
-- tokens/s = requests/s × 200). The load generator in C, for figures without the Python client's CPU:
--   wrk -t1 -cCLIENTS -d8s -s benchmarks/serve_wrk.lua http://127.0.0.1:PORT/v1/completions
-- (the server started with -m m=CHECKPOINT). Every request sends the prompt "The ", whose state the server keeps
-- after the first (its prompt cache); with PROMPTS=distinct in wrk's environment each request sends a prompt no
-- other has ("The ", a word made from a counter and a space: "The a ", "The b ", … "The ba ", …; the server
-- primes all but a prompt's last token, so the word must not be last), so every one is primed.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "m", "prompt": "The ", "max_tokens": 200, "stream": true, "seed": 1}'

local distinct = os.getenv("PROMPTS") == "distinct"
local counter = 0

-- "a", "b", … "z", "ba", "bb", …: counter in base 26 with the letters as digits.
local function word(n)
    local letters = ""
    repeat
        letters = string.char(97 + n % 26) .. letters
        n = math.floor(n / 26)
    until n == 0
    return letters
end

function request()
    if not distinct then
        return wrk.format()
    end
    counter = counter + 1
    local body = '{"model": "m", "prompt": "The ' .. word(counter) ..
        ' ", "max_tokens": 200, "stream": true, "seed": 1}'
    return wrk.format(nil, nil, nil, body)
end
