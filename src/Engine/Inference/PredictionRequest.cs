using Engine.Tensors;

namespace Engine.Inference;

/// <summary>One caller's images waiting for the device, and where its result goes when a run has served it.</summary>
internal sealed class PredictionRequest(ReadOnlyMemory<float> images, int count, PredictionKind kind, CancellationToken cancellationToken)
{
    /// <summary>The images, <c>[Count, C, H, W]</c> row-major.</summary>
    public ReadOnlyMemory<float> Images { get; } = images;

    /// <summary>How many images.</summary>
    public int Count { get; } = count;

    /// <summary>What the caller reads back.</summary>
    public PredictionKind Kind { get; } = kind;

    /// <summary>Completed by the run that serves the request (on the thread that runs it).</summary>
    public TaskCompletionSource<Array> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Cancelled when the caller gives up or a run has served the request: either way its caller
    /// stops waiting for the device (a served caller need not take the device's gate in turn).
    /// </summary>
    public CancellationTokenSource Waiting { get; } = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

    /// <summary>Set once a run has taken the request from the queue: it can no longer be withdrawn.</summary>
    public bool Taken { get; set; }

    /// <summary>The output shape, set with the result.</summary>
    public Shape OutputShape { get; set; }
}
