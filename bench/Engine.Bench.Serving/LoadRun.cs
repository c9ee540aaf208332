using System.Diagnostics;

namespace Engine.Bench.Serving;

/// <summary>
/// A closed-loop load: <c>callers</c> threads, each sending a request as soon as its last one is
/// answered, for a fixed time after a warm-up; the latency of every request is kept.
/// </summary>
internal static class LoadRun
{
    /// <summary>The result of one load: requests, images and latencies (ms) in the measured window.</summary>
    public sealed record Result(string Target, int Callers, string Sizes, int Requests, long Images, double Seconds, double[] LatenciesMs, long Runs)
    {
        public double ImagesPerSecond => Images / Seconds;
        public double RequestsPerSecond => Requests / Seconds;
        public double Percentile(double p)
        {
            var sorted = LatenciesMs.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
        }
    }

    /// <summary>Runs the load; request sizes cycle through <paramref name="sizes"/> (caller i starts at its own offset).</summary>
    public static Result Run(IServingTarget target, int callers, int[] sizes, Func<int, float[]> images, TimeSpan warmUp, TimeSpan measure)
    {
        var inputs = sizes.Distinct().ToDictionary(s => s, images);
        var latencies = new List<double>[callers];
        long imageCount = 0;
        var start = new Barrier(callers + 1);
        long measureFrom = 0, measureTo = 0;
        var threads = Enumerable.Range(0, callers).Select(c => new Thread(() =>
        {
            var mine = latencies[c] = new List<double>();
            long images = 0;
            start.SignalAndWait();
            for (int i = c; ; i++)
            {
                int size = sizes[i % sizes.Length];
                long begin = Stopwatch.GetTimestamp();
                if (begin >= Interlocked.Read(ref measureTo))
                    break;
                target.Logits(inputs[size], size);
                long end = Stopwatch.GetTimestamp();
                if (begin >= measureFrom && end <= measureTo)
                {
                    mine.Add(Stopwatch.GetElapsedTime(begin, end).TotalMilliseconds);
                    images += size;
                }
            }
            Interlocked.Add(ref imageCount, images);
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        long now = Stopwatch.GetTimestamp();
        measureFrom = now + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        Interlocked.Exchange(ref measureTo, measureFrom + (long)(measure.TotalSeconds * Stopwatch.Frequency));
        long runsBefore = 0;
        start.SignalAndWait();
        Thread.Sleep(warmUp);
        runsBefore = target.Runs;
        threads.ForEach(t => t.Join());
        long runs = target.Runs < 0 ? -1 : target.Runs - runsBefore;
        var all = latencies.SelectMany(l => l).ToArray();
        return new Result(target.Name, callers, string.Join("/", sizes.Distinct()), all.Length, imageCount, measure.TotalSeconds, all, runs);
    }
}
