using Engine.Devices;
using Engine.Modules;
using Engine.Tensors;

namespace Engine.Inference;

/// <summary>
/// An inference session: a model in evaluation mode on one device, serving requests of any batch
/// size from any number of threads, as ONNX Runtime's <c>InferenceSession.Run</c> or a
/// <c>torch.inference_mode</c> loop would. Made by <see cref="PredictorExtensions.CreatePredictor"/>.
/// <list type="bullet">
/// <item>A batch runs through a plan compiled for its size rounded up to a power of two (at most
/// <see cref="PredictorOptions.MaxBatchSize"/>; larger requests run in parts), kept in a bounded
/// cache: after the first request of a size, nothing is compiled or allocated.</item>
/// <item>Thread safe: one request runs on the device at a time (its <see cref="ComputeDevice.Gate"/>,
/// shared with every predictor on the device), and requests that wait together run as one batch
/// (<see cref="PredictorOptions.CombineRequests"/>). The async methods wait for the device without
/// holding a thread, for ASP.NET handlers.</item>
/// <item>Each image's outputs are those the model gives it alone: evaluation mode has no op that mixes images.</item>
/// </list>
/// Disposing frees the plans (and the model, with <see cref="PredictorOptions.OwnsModel"/>).
/// </summary>
/// <example>
/// <code>
/// using var predictor = model.CreatePredictor(device, new Shape(1, 28, 28));
/// float[] probabilities = predictor.Probabilities(images);   // [count, classes]
/// int[] classes = await predictor.ClassesAsync(images);       // [count], or masks [count, H, W]
/// </code>
/// </example>
public sealed class Predictor : IDisposable
{
    private readonly LinkedList<(Shape Shape, PredictionPlan Plan)> _plans = new(); // most recently used first
    private readonly LinkedList<PredictionRequest> _queue = new();
    private long _requests, _runs, _compiled;
    private bool _disposed;

    internal Predictor(Module model, ComputeDevice device, Shape imageShape, PredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(device.IsDisposed, device);
        options.Validate();
        if (imageShape.Rank < 1 || imageShape.Numel <= 0)
            throw new ArgumentException($"The predictor needs the shape of one image, such as [1, 28, 28] (C, H, W); got {imageShape}.", nameof(imageShape));
        model.EnsureOn(device, "The predictor");
        Model = model;
        Device = device;
        ImageShape = imageShape;
        Options = options;
        // The output shape, checked now by tracing (nothing is compiled or allocated).
        var g = new Graph.GraphBuilder(device, training: false);
        var output = model.Call(g.Input("x", new Shape([1, .. imageShape.Dims.ToArray()])));
        if (output.Shape.Rank < 2 || output.Shape[0] != 1)
            throw new ArgumentException($"The predictor needs a model whose output is [N, C, ...] for input [N, {string.Join(", ", imageShape.Dims.ToArray())}]; this one gives {output.Shape} for N = 1.");
        OutputShapeOfOne = output.Shape;
    }

    /// <summary>The model (run in evaluation mode: batch norm's running statistics, no dropout).</summary>
    public Module Model { get; }

    /// <summary>The device it runs on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The shape of one image, <c>[C, H, W]</c>.</summary>
    public Shape ImageShape { get; }

    /// <summary>The options it was made with.</summary>
    public PredictorOptions Options { get; }

    private Shape OutputShapeOfOne { get; }

    /// <summary>The model's output shape for <paramref name="count"/> images: <c>[count, classes]</c> or <c>[count, classes, H, W]</c>.</summary>
    public Shape OutputShape(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return new Shape([count, .. OutputShapeOfOne.Dims.ToArray()[1..]]);
    }

    /// <summary>Plans compiled and kept now (at most <see cref="PredictorOptions.MaxCachedPlans"/>).</summary>
    public int CachedPlanCount
    {
        get { lock (_plans) return _plans.Count; }
    }

    /// <summary>Plans compiled since the predictor was made (a plan dropped from the cache and needed again counts again).</summary>
    public long CompiledPlanCount => Interlocked.Read(ref _compiled);

    /// <summary>Requests served.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Runs of the model on the device (fewer than requests when requests were combined).</summary>
    public long RunCount => Interlocked.Read(ref _runs);

    /// <summary>The model's outputs for <paramref name="images"/> (<c>[count, C, H, W]</c> row-major): <see cref="OutputShape"/>, row-major.</summary>
    /// <exception cref="ArgumentException">A length that is not a whole number of images, named.</exception>
    public float[] Logits(ReadOnlySpan<float> images) => (float[])Submit(images, PredictionKind.Logits);

    /// <summary>Softmax over the classes (dim 1) of the outputs for <paramref name="images"/>.</summary>
    /// <inheritdoc cref="Logits" path="/exception"/>
    public float[] Probabilities(ReadOnlySpan<float> images) => (float[])Submit(images, PredictionKind.Probabilities);

    /// <summary>The arg-max class of each image (<c>[count]</c>), or of each pixel for a segmenter (masks, <c>[count, H, W]</c>).</summary>
    /// <inheritdoc cref="Logits" path="/exception"/>
    public int[] Classes(ReadOnlySpan<float> images) => (int[])Submit(images, PredictionKind.Classes);

    /// <summary><see cref="Logits"/>, waiting for the device without holding a thread.</summary>
    /// <inheritdoc cref="Logits" path="/exception"/>
    public async Task<float[]> LogitsAsync(ReadOnlyMemory<float> images, CancellationToken cancellationToken = default) =>
        (float[])await SubmitAsync(images, PredictionKind.Logits, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="Probabilities"/>, waiting for the device without holding a thread.</summary>
    /// <inheritdoc cref="Logits" path="/exception"/>
    public async Task<float[]> ProbabilitiesAsync(ReadOnlyMemory<float> images, CancellationToken cancellationToken = default) =>
        (float[])await SubmitAsync(images, PredictionKind.Probabilities, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="Classes"/>, waiting for the device without holding a thread.</summary>
    /// <inheritdoc cref="Logits" path="/exception"/>
    public async Task<int[]> ClassesAsync(ReadOnlyMemory<float> images, CancellationToken cancellationToken = default) =>
        (int[])await SubmitAsync(images, PredictionKind.Classes, cancellationToken).ConfigureAwait(false);

    private Array Submit(ReadOnlySpan<float> images, PredictionKind kind)
    {
        // The span is copied: a combined run may serve this request from another caller's thread.
        var request = Enqueue(images.ToArray(), kind, CancellationToken.None);
        try
        {
            try
            {
                Device.Gate.Wait(request.Waiting.Token);
            }
            catch (OperationCanceledException)
            {
                return request.Completion.Task.GetAwaiter().GetResult(); // served (or being served) by another caller's run
            }
            ServeHoldingGate(request);
            return request.Completion.Task.GetAwaiter().GetResult();
        }
        finally
        {
            request.Waiting.Dispose();
        }
    }

    private async Task<Array> SubmitAsync(ReadOnlyMemory<float> images, PredictionKind kind, CancellationToken cancellationToken)
    {
        var request = Enqueue(images, kind, cancellationToken);
        try
        {
            try
            {
                await Device.Gate.WaitAsync(request.Waiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_queue)
                {
                    if (!request.Taken)
                    {
                        _queue.Remove(request); // the caller gave up before any run took it
                        throw new OperationCanceledException(cancellationToken);
                    }
                }
                return await request.Completion.Task.ConfigureAwait(false); // a run took it: its result comes
            }
            ServeHoldingGate(request);
            return await request.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            request.Waiting.Dispose();
        }
    }

    private PredictionRequest Enqueue(ReadOnlyMemory<float> images, PredictionKind kind, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long size = ImageShape.Numel;
        if (images.Length == 0 || images.Length % size != 0)
            throw new ArgumentException($"The predictor takes images of {ImageShape} ({size} values each); {images.Length} values are not a whole number of images.", nameof(images));
        var request = new PredictionRequest(images, (int)(images.Length / size), kind, cancellationToken);
        lock (_queue)
            _queue.AddLast(request);
        return request;
    }

    /// <summary>Serves requests with the gate held, then lets the gate go.</summary>
    private void ServeHoldingGate(PredictionRequest mine)
    {
        try
        {
            Serve(mine);
        }
        finally
        {
            Device.Gate.Release();
        }
    }

    /// <summary>
    /// With the device's gate held: runs the queued requests, oldest first, until
    /// <paramref name="mine"/> is served (an earlier holder of the gate may have served it already).
    /// </summary>
    private void Serve(PredictionRequest mine)
    {
        while (!mine.Completion.Task.IsCompleted)
        {
            var batch = TakeBatch();
            if (batch.Count == 0)
                return; // served by a run that completes it on another thread
            try
            {
                Run(batch);
            }
            catch (Exception e)
            {
                foreach (var request in batch)
                {
                    request.Waiting.Cancel();
                    request.Completion.TrySetException(e);
                }
            }
        }
    }

    /// <summary>The oldest request, and with <see cref="PredictorOptions.CombineRequests"/> those queued after it that fit one batch beside it.</summary>
    private List<PredictionRequest> TakeBatch()
    {
        var batch = new List<PredictionRequest>();
        lock (_queue)
        {
            int images = 0;
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                var request = node.Value;
                if (batch.Count == 0 || (Options.CombineRequests && images + request.Count <= Options.MaxBatchSize))
                {
                    batch.Add(request);
                    images += request.Count;
                    request.Taken = true;
                    _queue.Remove(node);
                }
                if (!Options.CombineRequests || images >= Options.MaxBatchSize)
                    break;
                node = next;
            }
        }
        return batch;
    }

    /// <summary>Runs a batch of requests (or one request in parts of the largest batch) and completes each with its rows.</summary>
    private void Run(List<PredictionRequest> batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Model.EnsureOn(Device, "The predictor"); // a model released or moved since: said plainly, not by an op
        Device.BindToCurrentThread();
        int total = batch.Sum(r => r.Count);
        long imageSize = ImageShape.Numel;
        var kinds = batch.Select(r => r.Kind).ToHashSet();
        long rowValues = OutputShapeOfOne.Numel;
        long rowClasses = OutputShapeOfOne.Rank == 4 ? (long)OutputShapeOfOne[2] * OutputShapeOfOne[3] : 1;
        var results = batch.ToDictionary(r => r, r => r.Kind == PredictionKind.Classes ? (Array)new int[r.Count * rowClasses] : new float[r.Count * rowValues]);
        // Parts of at most MaxBatchSize images, in request order: (request, first image, count).
        int done = 0;
        while (done < total)
        {
            int part = Math.Min(Options.MaxBatchSize, total - done);
            var plan = Plan(Bucket(part));
            var rows = new List<(PredictionRequest Request, int First, int Count, int Row)>();
            int row = 0;
            foreach (var (request, start) in Starts(batch))
            {
                int first = Math.Max(done - start, 0), last = Math.Min(done + part - start, request.Count);
                if (first >= last)
                    continue;
                request.Images.Span.Slice((int)(first * imageSize), (int)((last - first) * imageSize)).CopyTo(plan.Input.AsSpan((int)(row * imageSize)));
                rows.Add((request, first, last - first, row));
                row += last - first;
            }
            plan.Input.AsSpan((int)(row * imageSize)).Clear(); // the bucket's spare rows
            plan.Run();
            float[]? logits = kinds.Contains(PredictionKind.Logits) ? plan.ReadLogits() : null;
            float[]? probabilities = kinds.Contains(PredictionKind.Probabilities) ? plan.ReadProbabilities() : null;
            int[]? classes = kinds.Contains(PredictionKind.Classes) ? plan.ReadClasses() : null;
            foreach (var (request, first, count, at) in rows)
            {
                var target = results[request];
                if (request.Kind == PredictionKind.Classes)
                    Array.Copy(classes!, at * rowClasses, target, first * rowClasses, count * rowClasses);
                else
                    Array.Copy(request.Kind == PredictionKind.Logits ? logits! : probabilities!, at * rowValues, target, first * rowValues, count * rowValues);
            }
            done += part;
            Interlocked.Increment(ref _runs);
        }
        foreach (var request in batch)
        {
            request.OutputShape = OutputShape(request.Count);
            Interlocked.Increment(ref _requests);
            request.Waiting.Cancel(); // its caller stops waiting for the gate (before the result: it disposes the source once it has it)
            request.Completion.TrySetResult(results[request]);
        }
    }

    private static IEnumerable<(PredictionRequest Request, int Start)> Starts(List<PredictionRequest> batch)
    {
        int start = 0;
        foreach (var request in batch)
        {
            yield return (request, start);
            start += request.Count;
        }
    }

    /// <summary>The plan's batch size for <paramref name="count"/> images: the next power of two, at most the largest batch.</summary>
    internal int Bucket(int count) => Math.Min((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count), Options.MaxBatchSize);

    /// <summary>The plan for a batch size, from the cache or compiled (dropping the least recently used beyond the bound).</summary>
    private PredictionPlan Plan(int batchSize)
    {
        var shape = new Shape([batchSize, .. ImageShape.Dims.ToArray()]);
        lock (_plans)
        {
            for (var node = _plans.First; node is not null; node = node.Next)
            {
                if (node.Value.Shape == shape)
                {
                    _plans.Remove(node);
                    _plans.AddFirst(node);
                    return node.Value.Plan;
                }
            }
        }
        var plan = new PredictionPlan(Model, Device, shape);
        Interlocked.Increment(ref _compiled);
        lock (_plans)
        {
            _plans.AddFirst((shape, plan));
            while (_plans.Count > Options.MaxCachedPlans)
            {
                _plans.Last!.Value.Plan.Dispose();
                _plans.RemoveLast();
            }
        }
        return plan;
    }

    /// <summary>Frees every plan (waiting for a request in progress), and the model when the predictor owns it. Requests after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed || Device.IsDisposed)
        {
            _disposed = true;
            if (Options.OwnsModel)
                Model.Dispose();
            return;
        }
        Device.Gate.Wait();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            lock (_plans)
            {
                foreach (var (_, plan) in _plans)
                    plan.Dispose();
                _plans.Clear();
            }
            lock (_queue)
            {
                foreach (var request in _queue)
                {
                    request.Taken = true; // its caller takes the ObjectDisposedException below, not a cancellation
                    request.Waiting.Cancel();
                    request.Completion.TrySetException(new ObjectDisposedException(nameof(Predictor)));
                }
                _queue.Clear();
            }
            if (Options.OwnsModel)
                Model.Dispose();
        }
        finally
        {
            Device.Gate.Release();
        }
    }
}
