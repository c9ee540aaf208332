namespace Engine.Analysis;

/// <summary>
/// Settings of an exact t-SNE run (<see cref="Tsne.Run(Engine.Tensors.Tensor, TsneOptions)"/>); the defaults are scikit-learn's
/// <c>TSNE(method="exact", init="random", learning_rate="auto")</c>.
/// </summary>
public sealed record TsneOptions
{
    /// <summary>The effective number of neighbours each point's Gaussian covers, <c>2^H</c> for its entropy H in bits; must be below the number of points.</summary>
    public float Perplexity { get; init; } = 30f;

    /// <summary>Most iterations in all, early exaggeration included.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>The factor on P during the first <see cref="ExplorationIterations"/> iterations, which lets clusters form and move apart.</summary>
    public float EarlyExaggeration { get; init; } = 12f;

    /// <summary>Iterations with early exaggeration and momentum 0.5; the rest use momentum 0.8.</summary>
    public int ExplorationIterations { get; init; } = 250;

    /// <summary>The learning rate; null for scikit-learn's "auto", <c>max(N / EarlyExaggeration / 4, 50)</c>.</summary>
    public float? LearningRate { get; init; }

    /// <summary>Seeds the initial embedding, <c>N(0, 1e-4^2)</c> from the engine's Philox generator.</summary>
    public ulong Seed { get; init; }

    /// <summary>The main stage stops when the divergence, checked every 50 iterations, has not improved for more than this many iterations.</summary>
    public int IterationsWithoutProgress { get; init; } = 300;

    /// <summary>A stage stops when the norm of the gain-scaled gradient, checked every 50 iterations, is at most this.</summary>
    public float MinGradientNorm { get; init; } = 1e-7f;

    /// <summary>How close each point's entropy (nats) must come to log(perplexity) in the bisection.</summary>
    public float PerplexityTolerance { get; init; } = 1e-5f;

    /// <summary>The learning rate a run on <paramref name="points"/> points uses.</summary>
    public float LearningRateFor(int points) => LearningRate ?? Math.Max(points / EarlyExaggeration / 4f, 50f);

    /// <summary>Throws, naming the values, when the settings cannot run on <paramref name="points"/> points.</summary>
    public void Validate(int points)
    {
        if (points < 2)
            throw new ArgumentException($"t-SNE needs at least 2 points, got {points}.");
        if (!(Perplexity > 0f) || !(Perplexity < points))
            throw new ArgumentException($"t-SNE: perplexity {Perplexity} must be positive and below the number of points, {points}.");
        if (Iterations < 1)
            throw new ArgumentException($"t-SNE: iterations must be at least 1, got {Iterations}.");
        if (ExplorationIterations < 0)
            throw new ArgumentException($"t-SNE: exploration iterations must not be negative, got {ExplorationIterations}.");
        if (!(EarlyExaggeration >= 1f) || float.IsInfinity(EarlyExaggeration))
            throw new ArgumentException($"t-SNE: early exaggeration must be at least 1, got {EarlyExaggeration}.");
        if (LearningRate is { } rate && (!(rate > 0f) || float.IsInfinity(rate)))
            throw new ArgumentException($"t-SNE: learning rate must be positive and finite, got {rate}.");
        if (IterationsWithoutProgress < 1)
            throw new ArgumentException($"t-SNE: iterations without progress must be at least 1, got {IterationsWithoutProgress}.");
        if (!(MinGradientNorm >= 0f))
            throw new ArgumentException($"t-SNE: the smallest gradient norm must not be negative, got {MinGradientNorm}.");
        if (!(PerplexityTolerance > 0f))
            throw new ArgumentException($"t-SNE: the perplexity tolerance must be positive, got {PerplexityTolerance}.");
    }
}
