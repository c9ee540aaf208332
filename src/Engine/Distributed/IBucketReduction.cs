namespace Engine.Distributed;

/// <summary>
/// A sum over the ranks of a bucket of device tensors, prepared once
/// (<see cref="ICommunicator.PrepareAllReduceSum"/>) and run once a step: started the moment its
/// values are final, advanced while other work runs, and waited for before they are used. Every
/// rank starts its buckets in the same order. The MPI backend stages the bucket through a
/// page-locked host buffer of its own; a device backend (NCCL) reduces it in place on a stream of
/// its own.
/// </summary>
public interface IBucketReduction : IDisposable
{
    /// <summary>Elements in the bucket (all its parts).</summary>
    long Count { get; }

    /// <summary>
    /// Starts summing the parts' values, as the device holds them after the work queued so far,
    /// over the ranks, and returns without waiting for the other ranks. Throws when the previous
    /// sum has not completed.
    /// </summary>
    void Start();

    /// <summary>Advances the started sum without blocking; true once every part holds it.</summary>
    bool Test();

    /// <summary>
    /// Returns once every part holds the sum over the ranks (work queued on the device after this
    /// call sees it), or throws a <see cref="CommunicatorException"/> when a rank did not answer in time.
    /// </summary>
    void Wait();
}
