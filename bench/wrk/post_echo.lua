-- POSTs a 64 KiB body on every request (the echo workload), and reports
-- like report.lua, which it loads from its own directory.
wrk.method = "POST"
wrk.body = string.rep("p", 64 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")
