-- wrk script: replays request paths from the file named by $YICHA_PATHS,
-- one per line, round robin over the connections.
local paths = {}
for line in io.lines(os.getenv("YICHA_PATHS")) do
  paths[#paths + 1] = line
end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
