using Engine.Devices;

namespace Engine.Training;

/// <summary>
/// The memory plan of a run, before anything is allocated: every buffer a training step and the
/// evaluation after an epoch hold on the device at their peak, and the host memory the loop keeps
/// beside them. The device part is what <see cref="ComputeDevice.MemoryLimit"/> is checked against.
/// </summary>
/// <param name="Weights">Parameters and buffers, their gradients and the optimiser's state.</param>
/// <param name="Activations">The compiled training graph's buffers: activations, saved tensors and their gradients.</param>
/// <param name="Workspace">The most any one op, the optimiser's step guard, or the evaluation (its own graph beside the training graph) allocates for a while.</param>
/// <param name="Host">Host memory the loop keeps: the staging buffers and the queued steps' copies of their batches.</param>
public sealed record StepMemory(long Weights, long Activations, long Workspace, long Host)
{
    /// <summary>The device bytes at the peak: weights, activations and the largest workspace.</summary>
    public long DeviceBytes => Weights + Activations + Workspace;

    /// <summary>On the CPU accelerator (whose device memory is host memory), everything: the device bytes and the host's.</summary>
    public long TotalBytes => DeviceBytes + Host;

    /// <summary>The plan in words, for messages: <c>12.0 MiB of weights, ...</c>.</summary>
    public override string ToString() =>
        $"{ByteSize.MiB(Weights)} of weights, gradients and optimiser state, {ByteSize.MiB(Activations)} of activations, {ByteSize.MiB(Workspace)} of workspace";
}
