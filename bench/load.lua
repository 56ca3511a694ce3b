-- wrk's script for bench/load.sh: a mix of what a command's users do at once. The lists
-- (gates, people, needs, names) and the token come from bench/load-data.lua, which load.sh
-- writes from the database it serves.
--
--   55 % a gate decision on a register id (a resident of the compound, or someone else's)
--   15 % a note on an open request (need)
--   15 % a search of the register by surname
--   10 % a person read
--    5 % the headquarters dashboard
dofile(os.getenv("CORDON_LOAD_DATA"))

local counter = 0
local bad = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(id * 7919)
end

local function pick(list) return list[math.random(#list)] end

local json = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. TOKEN }
local get = { ["Authorization"] = "Bearer " .. TOKEN }

function request()
  local r = math.random(100)
  if r <= 55 then
    local body = string.format('{"direction":"%s","person":"%s"}',
      (math.random(2) == 1) and "in" or "out", pick(PEOPLE))
    return wrk.format("POST", "/api/v1/gates/" .. pick(GATES) .. "/decisions", json, body)
  elseif r <= 70 then
    return wrk.format("POST", "/api/v1/needs/" .. pick(NEEDS) .. "/actions", json,
      '{"action":"note","note":"load test: called the household back"}')
  elseif r <= 85 then
    return wrk.format("GET", "/api/v1/people?q=" .. pick(NAMES) .. "&limit=20", get)
  elseif r <= 95 then
    return wrk.format("GET", "/api/v1/people/" .. pick(PEOPLE), get)
  else
    return wrk.format("GET", "/api/v1/dashboard", get)
  end
end

function response(status, headers, body)
  if status >= 400 then
    bad[status] = (bad[status] or 0) + 1
    if bad[status] <= 3 then io.stderr:write(status .. " " .. body:sub(1, 200) .. "\n") end
  end
end
