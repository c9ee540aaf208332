using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Ops.Random;

namespace Engine.Training;

/// <summary>
/// The VAE: trained on the negative ELBO per image with a Bernoulli likelihood (BCE summed over
/// pixels, in nats) plus the Gaussian KL. Evaluated by the same single-sample estimate on held-out
/// images, with z drawn from q(z | x) as in training, from a fixed key (derived from
/// <c>seed</c>, the run's) so that every evaluation of the same weights gives the same number.
/// </summary>
public sealed class VaeTask(Vae model, ComputeDevice device, ulong seed = 1) : TrainingTask(model, device)
{
    private readonly ulong _evaluationKey = RandomStreams.Derive(seed, RandomStream.Evaluation);

    /// <inheritdoc/>
    public override string Kind => "vae";

    /// <inheritdoc/>
    public override string MetricName => "neg_elbo";

    /// <inheritdoc/>
    public override bool HigherIsBetter => false;

    /// <inheritdoc/>
    protected override Node TrainingLoss(Node x, Node? targets) => ((Vae)Model).Build(x).Loss;

    /// <inheritdoc/>
    public override Evaluation Evaluate(IDataset all, int batchSize)
    {
        // Training mode: z is sampled, as the ELBO's expectation asks.
        double[] means = MeanPerImage(all, batchSize, _evaluationKey, EvaluationScalars);
        double loss = means[0];
        return new Evaluation(loss, $"negative ELBO {loss:F2} nats/image (reconstruction {means[1]:F2} + KL {means[2]:F2})", $"-ELBO {loss:F2}");
    }

    /// <inheritdoc/>
    internal override long EvaluationBytes(IDataset data, int batchSize) => MeanPerImageBytes(data, batchSize, EvaluationScalars);

    private IReadOnlyList<Node> EvaluationScalars(Node x)
    {
        var vae = ((Vae)Model).Build(x);
        return [vae.Loss, vae.Reconstruction, vae.Kl];
    }
}
