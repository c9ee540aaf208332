using Engine.Data;
using Engine.Graph;
using Engine.Tensors;

namespace Engine.Training;

/// <summary>
/// The training graphs of a run, one per image shape its batches have (one for most data, one per
/// size of a <see cref="MultiSizeDataset"/>): what an eager PyTorch model does implicitly when a
/// batch of another size arrives, done here by compiling a plan per shape. Every plan reads and
/// writes the model's own parameters (values, gradients, batch-norm statistics), so they share the
/// weights and the optimiser's state; their random ops draw from one counter, carried from plan to
/// plan. At most <see cref="MaxCompiled"/> plans are compiled at once, the least recently used
/// freed beyond it and compiled again when its size comes back, as the predictor's batch-size plans are.
/// </summary>
internal sealed class TrainingPlans : IDisposable
{
    private readonly Plan[] _plans; // built, in the dataset's size order
    private readonly LinkedList<Plan> _compiled = new(); // most recently used first

    /// <summary>Plans built (symbolically) for each of <paramref name="shapes"/> by <paramref name="build"/>.</summary>
    public TrainingPlans(IReadOnlyList<(int Channels, int Height, int Width)> shapes, Func<(int Channels, int Height, int Width), Plan> build, int maxCompiled)
    {
        MaxCompiled = maxCompiled;
        var plans = new Plan[shapes.Count];
        ArgumentException? refused = null;
        int accepted = -1;
        for (int k = 0; k < shapes.Count; k++)
        {
            try
            {
                plans[k] = build(shapes[k]);
                accepted = accepted < 0 ? k : accepted;
            }
            catch (ArgumentException e) when (shapes.Count > 1)
            {
                refused ??= new ArgumentException(Refusal(shapes, k, e), e);
            }
        }
        if (refused is not null)
            throw accepted < 0 ? (ArgumentException)refused.InnerException! : refused;
        _plans = plans;
    }

    // One line naming the sizes: which the model takes and the first it does not, with the shape error.
    private static string Refusal(IReadOnlyList<(int Channels, int Height, int Width)> shapes, int failed, ArgumentException e) =>
        $"The model cannot train on images of several sizes ({string.Join(", ", shapes.Select(s => $"{s.Channels}x{s.Height}x{s.Width}"))}): " +
        $"at {shapes[failed].Channels}x{shapes[failed].Height}x{shapes[failed].Width}, {e.Message.TrimEnd('.')}. " +
        "Its head must not depend on the image size: pool to a fixed length first (SpatialPyramidPooling, AdaptiveAvgPool2d or global pooling).";

    /// <summary>Most plans compiled at once.</summary>
    public int MaxCompiled { get; }

    /// <summary>The memory plan of each shape's graph, in the dataset's size order.</summary>
    public IEnumerable<MemoryPlan> Memory => _plans.Select(p => p.Memory);

    /// <summary>The first shape's compiled graph (a data-parallel run's only one).</summary>
    public CompiledGraph First => Compiled(_plans[0]);

    /// <summary>The random counter of the graphs' noise (dropout, reparameterisation): saved in checkpoints, set on resume.</summary>
    public ulong NoiseOffset { get; set; }

    /// <summary>Compiles the first shapes' plans, up to <see cref="MaxCompiled"/> (the model must be initialised by now).</summary>
    public void CompileFirst()
    {
        foreach (var plan in _plans.Take(MaxCompiled).Reverse()) // the first ends most recently used
            Compiled(plan);
    }

    /// <summary>Forward and backward on one batch with its shape's plan; returns the loss (a device scalar, valid until that plan's next step).</summary>
    /// <exception cref="ArgumentException">A batch of a shape no plan was built for, named.</exception>
    public Tensor Step(Batch batch)
    {
        var plan = Array.Find(_plans, p => p.Shape == batch.ImageShape)
            ?? throw new ArgumentException($"A batch of {batch.ImageShape.Channels}x{batch.ImageShape.Height}x{batch.ImageShape.Width} images for graphs built for " +
                $"{string.Join(", ", _plans.Select(p => $"{p.Shape.Channels}x{p.Shape.Height}x{p.Shape.Width}"))}.");
        if (batch.Images.Length != plan.X.Shape.Numel)
            throw new ArgumentException($"A batch of {batch.Images.Length} values for a graph that takes {plan.X.Shape}.");
        var train = Compiled(plan);
        plan.Staging ??= new BatchStaging(plan.Graph.Device, plan.X.Shape.Numel, plan.Targets?.Shape.Numel ?? 0);
        plan.Staging.Upload(batch, train.Value(plan.X), plan.Targets is null ? null : train.IntValue(plan.Targets));
        plan.Graph.Generator.Offset = NoiseOffset;
        train.Forward();
        train.Backward();
        NoiseOffset = plan.Graph.Generator.Offset;
        return train.Value(plan.Loss);
    }

    // The plan's compiled graph, compiled now if it is not; the least recently used beyond the bound freed.
    private CompiledGraph Compiled(Plan plan)
    {
        if (plan.Compiled is { } compiled)
        {
            if (_compiled.First!.Value != plan)
            {
                _compiled.Remove(plan);
                _compiled.AddFirst(plan);
            }
            return compiled;
        }
        while (_compiled.Count >= MaxCompiled)
        {
            _compiled.Last!.Value.Release();
            _compiled.RemoveLast();
        }
        plan.Compiled = plan.Graph.Compile(plan.Loss);
        _compiled.AddFirst(plan);
        return plan.Compiled;
    }

    /// <summary>Plans compiled now.</summary>
    public int CompiledCount => _compiled.Count;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var plan in _plans)
            plan.Release();
        _compiled.Clear();
    }

    /// <summary>One image shape's training graph: built, and while in use compiled, with its staging buffers.</summary>
    internal sealed class Plan(GraphBuilder graph, Node x, Node? targets, Node loss)
    {
        public GraphBuilder Graph { get; } = graph;
        public Node X { get; } = x;
        public Node? Targets { get; } = targets;
        public Node Loss { get; } = loss;
        public (int Channels, int Height, int Width) Shape { get; } = (x.Shape[1], x.Shape[2], x.Shape[3]);
        public MemoryPlan Memory { get; } = CompiledGraph.PlanMemory(graph, loss, [loss]);
        public CompiledGraph? Compiled { get; set; }
        public BatchStaging? Staging { get; set; }

        /// <summary>Frees the compiled graph and the staging buffers; the built graph stays, to compile again.</summary>
        public void Release()
        {
            if (Compiled is null)
                return;
            Graph.Device.Synchronize(); // its last upload and step may still be queued
            Compiled.Dispose();
            Compiled = null;
            Staging?.Dispose();
            Staging = null;
        }
    }
}
