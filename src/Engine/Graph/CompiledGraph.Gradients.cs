namespace Engine.Graph;

/// <summary>When, during the backward pass, each parameter's gradient is final.</summary>
public sealed partial class CompiledGraph
{
    // For each op of the backward pass (in the order it runs), the parameters whose gradients it completes.
    private readonly IReadOnlyList<Parameter>[] _finalAfter;

    /// <summary>
    /// The trainable parameters this graph's backward pass writes gradients to, in the order their
    /// gradients become final: a gradient is final once the last op that adds to it has run
    /// backward (for a parameter read once, the op that reads it; for a shared one, the reader
    /// earliest in the forward pass). Parameters read late in the forward pass come first. This is
    /// the order data-parallel training forms its buckets in (<see cref="Distributed.DataParallel"/>).
    /// </summary>
    public IReadOnlyList<Parameter> GradientOrder { get; private set; } = [];

    /// <summary>
    /// Raised after each op of the backward pass, on the thread running it, with the parameters whose
    /// gradients that op completed (often none). Their values are final once the device has run
    /// what is queued so far: a listener can start sending them while the rest of the backward pass
    /// runs, and, after an op that completed none, make progress on what it has started.
    /// </summary>
    public event Action<IReadOnlyList<Parameter>>? GradientsFinal;

    private IReadOnlyList<Parameter>[] ScheduleGradients(List<GraphOp> backward)
    {
        var last = new Dictionary<Parameter, int>();
        for (int i = 0; i < backward.Count; i++)
        {
            foreach (var p in backward[i].Parameters.Where(p => p.RequiresGrad))
                last[p] = i; // a later op overrides: the gradient is final after the last one that adds to it
        }
        var finalAfter = new IReadOnlyList<Parameter>[backward.Count];
        for (int i = 0; i < backward.Count; i++)
            finalAfter[i] = backward[i].Parameters.Distinct().Where(p => last.TryGetValue(p, out int at) && at == i).ToArray();
        GradientOrder = finalAfter.SelectMany(ps => ps).ToArray();
        return finalAfter;
    }
}
