-- wrk: post the report form, each request with a form fetched beforehand (its CSRF cookie and
-- token and its one-time submission nonce), read from the file in FORMS; thread i takes every
-- n-th line, so no nonce is posted twice while the file lasts.
local forms, next_form = {}, 1
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("FORMS")) do
    if i % n == id then table.insert(forms, line) end
    i = i + 1
  end
end

local description = string.rep("%E0%B8%81", 600)

function request()
  local line = forms[next_form]
  if line == nil then line = forms[1] end
  next_form = next_form + 1
  local cookie, token, nonce = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
  local body = "authenticity_token=" .. token .. "&submission_nonce=" .. nonce ..
    "&category=bribery&subject=%E0%B8%AA&description=" .. description .. "&relationship=witness"
  return wrk.format("POST", "/report/corruption",
    { ["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie }, body)
end
