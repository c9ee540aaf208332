namespace Engine.Analysis;

/// <summary>What a t-SNE run returns.</summary>
/// <param name="Embedding">The embedding <c>[Points, 2]</c>, row-major.</param>
/// <param name="Points">Number of points.</param>
/// <param name="KlDivergence">KL(P || Q) of the returned embedding, without exaggeration (nats).</param>
/// <param name="Iterations">Iterations run (fewer than asked when a stopping rule fired).</param>
/// <param name="LearningRate">The learning rate used.</param>
public sealed record TsneResult(float[] Embedding, int Points, double KlDivergence, int Iterations, float LearningRate);
