using System.Diagnostics;
using Engine.Devices;
using Engine.Distributed;
using Engine.Tensors;

namespace Engine.Bench.Distributed;

/// <summary>
/// <c>Engine.Bench nccl-smoke --device cuda[:N]</c>, the GPU check's NCCL part: one rank of an NCCL
/// communicator on the device (no MPI: a GPU machine lent for the check has none), an all-reduce
/// of 1,048,577 floats on the compute stream and one bucket of two slices on the communication
/// stream (event, <c>cuStreamWaitEvent</c>, NCCL group, event), a broadcast from rank 0; with one
/// rank each must leave the values' bits as they were. Prints one line: <c>nccl: passed ...</c>,
/// <c>nccl: FAILED ...</c> (exit 1), or <c>nccl: not run: libnccl.so.2 absent ...</c> (exit 0: the
/// check does not fail for a library that is not installed), or not run for a library that is not
/// NCCL 2 or a device that is not CUDA (exit 0).
/// </summary>
internal static class NcclSmoke
{
    private const int Count = (1 << 20) + 1; // odd: not a multiple of NCCL's chunks

    public static int Run(string[] args)
    {
        string spec = args.Length == 2 && args[0] == "--device" ? args[1] : "cuda";
        try
        {
            NcclCommunicator.CheckAvailable();
        }
        catch (CommunicatorException e)
        {
            Console.WriteLine(e.Message.StartsWith("NCCL was not found", StringComparison.Ordinal)
                ? $"nccl: not run: libnccl.so.2 absent ({e.Message})"
                : $"nccl: not run: no usable NCCL ({e.Message})");
            return 0;
        }
        using var device = ComputeDevice.Open(spec);
        if (device.Info.Kind != DeviceKind.Cuda)
        {
            Console.WriteLine($"nccl: not run: {device.Info.Spec} is not a CUDA device");
            return 0;
        }
        var clock = Stopwatch.StartNew();
        try
        {
            using var nccl = NcclCommunicator.StartAlone(device, TimeSpan.FromSeconds(60));
            var values = Enumerable.Range(0, Count).Select(i => (i % 1000 - 500) * 0.001953125f + i * 1e-7f).ToArray();
            using var tensor = Tensor.FromArray(device, values, Count);
            nccl.AllReduceSum(tensor);
            string? problem = Differs(tensor, values, "all-reduce");
            using (var head = tensor.Slice(new Shape(1000), 0))
            using (var tail = tensor.Slice(new Shape(Count - 5000), 5000))
            using (var bucket = nccl.PrepareAllReduceSum([head, tail]))
            {
                bucket.Start();
                bucket.Wait();
            }
            problem ??= Differs(tensor, values, "bucket of two slices");
            nccl.Broadcast(tensor, 0);
            problem ??= Differs(tensor, values, "broadcast");
            Console.WriteLine(problem is null
                ? $"nccl: passed: {nccl.Description}: all-reduce of {Count:N0} floats, a bucket of two slices on the communication stream and a broadcast left every bit as it was (one rank), {clock.ElapsedMilliseconds} ms with start-up"
                : $"nccl: FAILED: {nccl.Description}: {problem}");
            return problem is null ? 0 : 1;
        }
        catch (Exception e) when (e is CommunicatorException or ArgumentException)
        {
            Console.WriteLine($"nccl: FAILED: {e.Message}");
            return 1;
        }
    }

    private static string? Differs(Tensor tensor, float[] expected, string what)
    {
        var actual = new float[expected.Length];
        tensor.CopyTo(actual);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                return $"the {what} changed element {i}: {expected[i]:R} -> {actual[i]:R}";
        }
        return null;
    }
}
