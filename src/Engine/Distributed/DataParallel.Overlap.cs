using System.Diagnostics;
using Engine.Graph;
using Engine.Tensors;

namespace Engine.Distributed;

/// <summary>The gradient exchange started during the backward pass, bucket by bucket.</summary>
public sealed partial class DataParallel
{
    /// <summary>DDP's first bucket (1 MiB): small, so that the first exchange starts early in the backward pass.</summary>
    public const long FirstBucketBytes = 1L << 20;

    private List<GradientBucket>? _overlapped;
    private readonly List<IBucketReduction> _reductions = [];
    private readonly List<Tensor> _bucketParts = [];
    private readonly Dictionary<Parameter, int> _bucketOf = [];
    private int[] _unfinished = [];
    private CompiledGraph? _graph;
    private bool _armed;
    private int _next; // the first bucket not started this step
    private int _tested; // the first started bucket not seen complete this step

    /// <summary>Buckets whose all-reduce started during a backward pass, so far.</summary>
    public long BucketsStartedDuringBackward { get; private set; }

    /// <summary>Time spent during the backward passes so far starting buckets' all-reduces and letting them progress.</summary>
    public TimeSpan ExchangeTimeDuringBackward { get; private set; }

    /// <summary>Whether buckets start during the backward pass (a graph was given).</summary>
    public bool Overlaps => _overlapped is not null;

    /// <summary>
    /// Call before each step's backward pass (after zeroing the gradients): from then on each
    /// bucket's all-reduce starts as soon as the backward pass has completed its gradients, until
    /// <see cref="AverageGradients"/> waits for them. A backward pass run without it (a step
    /// replayed to diagnose it) exchanges nothing.
    /// </summary>
    public void BeginStep()
    {
        if (_overlapped is null)
            return;
        if (_armed)
            throw new InvalidOperationException("DataParallel.BeginStep: the step before was not averaged (AverageGradients).");
        for (int b = 0; b < _overlapped.Count; b++)
            _unfinished[b] = _overlapped[b].Parameters.Count;
        _next = _tested = 0;
        _armed = true;
    }

    private void Overlap(CompiledGraph graph, long perBucket)
    {
        // Every parameter of the flat buffer travels: first those the graph never writes (their
        // gradients stay as zeroed, final from the start), then the graph's in the order they become final.
        var parameters = _model.NamedParameters().Select(p => p.Parameter).Distinct().ToList();
        var written = graph.GradientOrder.Where(parameters.Contains).ToList();
        var order = parameters.Except(written).Concat(written).Select(p => (p, p.Grad.StorageOffset)).ToList();
        if (order.Sum(e => e.p.Shape.Numel) != _gradients.Numel)
            throw new ArgumentException("DataParallel: the model's parameters do not tile its flat gradient buffer.");
        long first = Math.Min(FirstBucketBytes / sizeof(float), perBucket);
        _overlapped = GradientBucket.Form(order, first, perBucket);
        _unfinished = new int[_overlapped.Count];
        for (int b = 0; b < _overlapped.Count; b++)
        {
            var parts = _overlapped[b].Ranges.Select(r => _gradients.Slice(new Shape(checked((int)r.Length)), r.Start)).ToList();
            parts.ForEach(part => part.DetachFromScope()); // views kept for the run, released by Dispose
            _bucketParts.AddRange(parts);
            _reductions.Add(Communicator.PrepareAllReduceSum(parts));
            foreach (var p in _overlapped[b].Parameters)
                _bucketOf[p] = b;
        }
        _graph = graph;
        graph.GradientsFinal += OnGradientsFinal;
    }

    // After each op of the backward pass: count the gradients it completed, start the buckets now
    // complete (in bucket order, the same on every rank), and let the oldest running one progress.
    private void OnGradientsFinal(IReadOnlyList<Parameter> final)
    {
        if (!_armed)
            return;
        long started = Stopwatch.GetTimestamp();
        foreach (var p in final)
        {
            if (_bucketOf.TryGetValue(p, out int b))
                _unfinished[b]--;
        }
        bool any = false;
        while (_next < _overlapped!.Count && _unfinished[_next] == 0)
        {
            _reductions[_next++].Start();
            BucketsStartedDuringBackward++;
            any = true;
        }
        if (!any && _tested < _next && _reductions[_tested].Test())
            _tested++;
        ExchangeTimeDuringBackward += Stopwatch.GetElapsedTime(started);
    }

    // After the backward pass: start what it did not (all of it, without BeginStep), then wait in order.
    private void FinishOverlapped()
    {
        if (!_armed)
            _next = 0; // no BeginStep: nothing was started during this backward pass
        _armed = false;
        while (_next < _overlapped!.Count)
            _reductions[_next++].Start();
        foreach (var reduction in _reductions)
            reduction.Wait();
    }

    /// <summary>Stops listening to the graph and releases the buckets.</summary>
    public void Dispose()
    {
        if (_graph is not null)
            _graph.GradientsFinal -= OnGradientsFinal;
        _graph = null;
        foreach (var reduction in _reductions)
            reduction.Dispose();
        _reductions.Clear();
        foreach (var part in _bucketParts)
            part.Dispose();
        _bucketParts.Clear();
    }
}
