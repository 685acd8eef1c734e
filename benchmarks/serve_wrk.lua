-- wrk's request for charrnn serve: one streaming completion of 200 tokens (wrk reads each response to its end, so
-- tokens/s = requests/s × 200). The load generator in C, for figures without the Python client's CPU:
--   wrk -t1 -cCLIENTS -d8s -s benchmarks/serve_wrk.lua http://127.0.0.1:PORT/v1/completions
-- (the server started with -m m=CHECKPOINT).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "m", "prompt": "The ", "max_tokens": 200, "stream": true, "seed": 1}'
