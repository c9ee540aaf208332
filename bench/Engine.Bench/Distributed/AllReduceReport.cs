using System.Diagnostics;
using System.Globalization;
using Engine.Distributed;

namespace Engine.Bench.Distributed;

/// <summary>
/// <c>mpiexec -n N dotnet Engine.Bench.dll --allreduce</c>: the all-reduce of float buffers from
/// 4 KiB to 64 MiB (doubling) through <see cref="MpiCommunicator"/> (the path a data-parallel step's gradient
/// buckets take), timed with a stopwatch around each call after a barrier and reported by rank 0
/// as the median of the repetitions: time, algorithm bandwidth (buffer bytes / time) and bus
/// bandwidth (algorithm bandwidth x 2(N-1)/N, the bytes each rank moves in a ring, as NCCL's
/// tests report it). BenchmarkDotNet runs each benchmark in a child process of its own, which
/// cannot join an MPI launch, hence the plain loop.
/// </summary>
internal static class AllReduceReport
{
    public static int Run()
    {
        using var communicator = MpiCommunicator.Start(TimeSpan.FromSeconds(120));
        int n = communicator.Size;
        if (communicator.Rank == 0)
        {
            Console.WriteLine($"all-reduce (sum, float32) over {n} ranks, {communicator.Description}; median of the repetitions");
            Console.WriteLine($"{"bytes",12} {"time",12} {"algbw GB/s",11} {"busbw GB/s",11}");
        }
        for (int bytes = 4 << 10; bytes <= 64 << 20; bytes *= 2)
        {
            var buffer = new float[bytes / sizeof(float)];
            Array.Fill(buffer, 1f);
            int repetitions = bytes <= 1 << 20 ? 200 : bytes <= 16 << 20 ? 20 : 5;
            var times = new double[repetitions];
            communicator.AllReduceSum(buffer); // warm-up
            for (int r = 0; r < repetitions; r++)
            {
                communicator.Barrier();
                long start = Stopwatch.GetTimestamp();
                communicator.AllReduceSum(buffer);
                times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(times);
            double median = times[repetitions / 2];
            double algorithm = bytes / median / 1e9;
            if (communicator.Rank == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{bytes,12:N0} {median * 1e6,9:F1} us {algorithm,11:F2} {algorithm * 2 * (n - 1) / n,11:F2}"));
            }
        }
        return 0;
    }
}
