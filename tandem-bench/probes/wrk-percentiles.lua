done = function(summary, latency, requests)
  io.write(string.format("pct n=%d mean_us=%.0f", summary.requests, latency.mean))
  for _, p in ipairs({50, 90, 95, 98, 99, 99.5, 99.9}) do io.write(string.format(" p%s=%d", p, latency:percentile(p))) end
  io.write(string.format(" max=%d\n", latency.max))
  local over = {1000, 2000, 4000, 8000}
  -- count of samples >= each bound, from the distribution
  local cnt = {0, 0, 0, 0}
  for i = 1, #latency do
    local v, c = latency(i)
    for j, b in ipairs(over) do if v >= b then cnt[j] = cnt[j] + c end end
  end
  io.write(string.format("pct ge1ms=%d ge2ms=%d ge4ms=%d ge8ms=%d entries=%d\n", cnt[1], cnt[2], cnt[3], cnt[4], #latency))
end
