using System.Diagnostics;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// Times a piece of device work as the PyTorch peer does (bench/peer/torch_peer.py, with CUDA
/// events there): warm-up runs (the first loads and compiles kernels and fills the buffer cache),
/// one run timed alone to choose how many runs a repetition holds (about
/// <see cref="RepetitionSeconds"/>), then <see cref="Repetitions"/> repetitions, each of that many
/// runs queued back to back and one wait at the end; the result is the (lower) median repetition's time per
/// run. The host clock around a full queue measures what the device does, launch gaps included.
/// </summary>
/// <param name="Warmups">Runs before the timing (at least 1).</param>
/// <param name="RepetitionSeconds">The length a repetition aims at.</param>
/// <param name="Repetitions">Timed repetitions.</param>
/// <param name="MaxRunsPerRepetition">Most runs in one repetition.</param>
internal sealed record CaseTimer(int Warmups, double RepetitionSeconds, int Repetitions, int MaxRunsPerRepetition)
{
    /// <summary>On a GPU: 2 warm-ups, 3 repetitions of about 0.25 s.</summary>
    public static CaseTimer Gpu { get; } = new(2, 0.25, 3, 1000);

    /// <summary>The dry run on the CPU: 1 warm-up, 2 repetitions of one run each.</summary>
    public static CaseTimer Quick { get; } = new(1, 0, 2, 1);

    /// <summary>
    /// Milliseconds per run and the runs per repetition. <paramref name="run"/> queues one run;
    /// <paramref name="wait"/> waits for everything queued. Past <paramref name="deadline"/> it
    /// stops repeating (at least one repetition is timed).
    /// </summary>
    public (double Ms, int Runs) Measure(Action run, Action wait, DateTime deadline)
    {
        for (int i = 0; i < Math.Max(1, Warmups); i++)
            run();
        wait();
        var clock = Stopwatch.StartNew();
        run();
        wait();
        double single = clock.Elapsed.TotalSeconds;
        int runs = (int)Math.Clamp(Math.Round(RepetitionSeconds / Math.Max(single, 1e-6)), 1, MaxRunsPerRepetition);
        var times = new List<double>();
        for (int r = 0; r < Repetitions; r++)
        {
            if (r > 0 && DateTime.UtcNow > deadline)
                break;
            clock.Restart();
            for (int i = 0; i < runs; i++)
                run();
            wait();
            times.Add(clock.Elapsed.TotalMilliseconds / runs);
        }
        times.Sort();
        return (times[(times.Count - 1) / 2], runs); // the lower median: the faster of two
    }
}
