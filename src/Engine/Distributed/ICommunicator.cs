using Engine.Ops.Normalization;
using Engine.Tensors;

namespace Engine.Distributed;

/// <summary>
/// The collectives data-parallel training needs, over a group of <see cref="IRankGroup.Size"/> processes
/// (ranks) that each hold a replica of the model. Every rank calls the same collectives in the
/// same order with the same lengths; each call returns when every rank has taken part, or throws
/// a <see cref="CommunicatorException"/> when a rank failed or did not answer in time (never hangs).
/// Results are the same bits on every rank. Tensor overloads take device tensors, so a backend
/// that moves device memory directly (NCCL, GPU to GPU) implements them without a host copy; the
/// MPI backend stages them through host memory. The rank count, the host sums and the gather
/// are <see cref="IRankGroup"/>'s, which the ops own (synchronized batch norm needs only them).
/// </summary>
public interface ICommunicator : IRankGroup, IDisposable
{
    /// <summary>This process's rank, 0 .. <see cref="IRankGroup.Size"/> - 1.</summary>
    int Rank { get; }

    /// <summary>What carries the messages, for a log line (e.g. <c>MPI (MPICH 4.0.2)</c>).</summary>
    string Description { get; }

    /// <summary>Replaces <paramref name="tensor"/> (device memory) by its element-wise sum over the ranks.</summary>
    void AllReduceSum(Tensor tensor);

    /// <summary>
    /// Prepares a sum over the ranks of <paramref name="parts"/> (device tensors, e.g. the ranges of
    /// a flat gradient buffer that make one bucket), to be started once a step without waiting and
    /// waited for later (<see cref="IBucketReduction"/>): how gradients are exchanged while the
    /// backward pass still runs. Each element's sum is the same bits as
    /// <see cref="AllReduceSum(Tensor)"/> gives it.
    /// </summary>
    IBucketReduction PrepareAllReduceSum(IReadOnlyList<Tensor> parts);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="values"/> into every rank's.</summary>
    void Broadcast(Span<float> values, int root);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="tensor"/> into every rank's.</summary>
    void Broadcast(Tensor tensor, int root);

    /// <summary>Returns when every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends every rank's process at once (after an error on this one, so that no rank waits for it).</summary>
    void Abort(int exitCode);
}
