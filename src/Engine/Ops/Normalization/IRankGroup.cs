namespace Engine.Ops.Normalization;

/// <summary>
/// What a batch norm whose statistics span several processes (<see cref="SyncBatchNormOp"/>) needs
/// of them: their count, sums and a gather of host values over them. The ops own this interface
/// and <c>Engine.Distributed.ICommunicator</c> extends it, so the ops, the graph and the modules
/// reach the ranks without depending on the distributed layer that sits above them (which trains
/// modules and graphs). Every rank calls the same members in the same order with the same lengths;
/// the results are the same bits on every rank.
/// </summary>
public interface IRankGroup
{
    /// <summary>Number of ranks.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> (host memory) by its element-wise sum over the ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> (host memory) by its element-wise sum over the ranks.</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Every rank's <paramref name="local"/> (the same length on each), in rank order: <c>[Size * local.Length]</c>.</summary>
    byte[] AllGather(ReadOnlySpan<byte> local);
}
