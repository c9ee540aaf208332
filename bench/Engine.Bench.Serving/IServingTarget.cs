namespace Engine.Bench.Serving;

/// <summary>What serves a request: the engine's predictor or an ONNX Runtime session, both thread safe.</summary>
internal interface IServingTarget : IDisposable
{
    /// <summary>Name in the table.</summary>
    string Name { get; }

    /// <summary>The logits of <paramref name="count"/> images (<c>[count, C, H, W]</c>).</summary>
    float[] Logits(float[] images, int count);

    /// <summary>Model runs so far (the engine combines waiting requests; ONNX Runtime runs each), or -1 when not counted.</summary>
    long Runs { get; }
}
