using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Ops.Random;

namespace Engine.Training;

/// <summary>
/// An autoencoder of the family (<see cref="Autoencoder"/>): trained on the squared reconstruction
/// error per image plus its kind's penalty, evaluated by the reconstruction error per image on
/// held-out images (the denoising kind from inputs corrupted as in training, by noise from a fixed
/// key derived from <c>seed</c>, so every evaluation of the same weights gives the same number).
/// </summary>
public sealed class AutoencoderTask(Autoencoder model, ComputeDevice device, float? penaltyWeight = null, NoiseKind noise = NoiseKind.Gaussian, float noiseLevel = 0.3f, ulong seed = 1)
    : TrainingTask(model, device)
{
    private readonly ulong _evaluationKey = RandomStreams.Derive(seed, RandomStream.Evaluation);

    /// <inheritdoc/>
    public override string Kind => "autoencoder";

    /// <inheritdoc/>
    public override string MetricName => "recon_error";

    /// <inheritdoc/>
    public override bool HigherIsBetter => false;

    /// <summary>The penalty weight λ the task trains with.</summary>
    public float PenaltyWeight { get; } = penaltyWeight ?? model.DefaultPenaltyWeight;

    private Autoencoder Autoencoder => (Autoencoder)Model;

    /// <inheritdoc/>
    protected override Node TrainingLoss(Node x, Node? targets) => Autoencoder.Build(x, PenaltyWeight, noise, noiseLevel).Loss;

    /// <inheritdoc/>
    public override Evaluation Evaluate(IDataset data, int batchSize)
    {
        // Training mode: the denoising kind corrupts, as it is judged.
        double[] means = MeanPerImage(data, batchSize, _evaluationKey, EvaluationScalars);
        double error = means[0], perPixel = error / (data.Channels * data.Height * data.Width);
        string from = Autoencoder.Kind == AutoencoderKind.Denoising ? $" from inputs with {noise.ToString().ToLowerInvariant()} noise {noiseLevel:0.###}" : "";
        string penaltyText = Autoencoder.Kind switch
        {
            AutoencoderKind.Sparse => $"; L1 of the code {means[1]:F3} per image",
            AutoencoderKind.Contractive => $"; Jacobian norm² {means[1]:F3} per image",
            _ => "",
        };
        return new Evaluation(error, $"reconstruction error {error:F3} per image (MSE {perPixel:F5} per pixel){from}{penaltyText}", $"recon {error:F3}");
    }

    /// <inheritdoc/>
    internal override long EvaluationBytes(IDataset data, int batchSize) => MeanPerImageBytes(data, batchSize, EvaluationScalars);

    private IReadOnlyList<Node> EvaluationScalars(Node x)
    {
        var graph = Autoencoder.Build(x, PenaltyWeight, noise, noiseLevel);
        return graph.Penalty is null ? [graph.ReconstructionError] : [graph.ReconstructionError, graph.Penalty];
    }
}
