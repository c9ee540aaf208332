using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Ops.Random;
using Engine.Tensors;

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
    public override Evaluation Evaluate(ImageDataset all, int batchSize)
    {
        var data = Share(all); // this rank's share; the sums are added over the ranks below
        // The loss is a batch mean, so every batch must be full: use the largest batch that divides N.
        int size = Enumerable.Range(1, Math.Min(Math.Max(batchSize, 100), data.Count)).Last(b => data.Count % b == 0);
        var g = new GraphBuilder(Device, training: true, seed: _evaluationKey); // training mode: z is sampled, as the ELBO's expectation asks
        var x = g.Input("x", size, data.Channels, data.Height, data.Width);
        var vae = ((Vae)Model).Build(x);
        using var plan = g.CompileInference(vae.Loss, vae.Reconstruction, vae.Kl);
        // Each batch's three values stay on the device until the end: one read for the whole pass.
        int batches = data.Count / size;
        using var values = Tensor.Empty(Device, batches, 3);
        using var staging = new BatchStaging(Device, x.Shape.Numel, 0);
        int index = 0;
        foreach (var batch in new DataLoader(data, size).Epoch(0))
        {
            staging.Upload(batch, plan.Value(x), null);
            plan.Forward();
            foreach (var (node, column) in new[] { (vae.Loss, 0), (vae.Reconstruction, 1), (vae.Kl, 2) })
            {
                using var slot = values.Slice(new Shape(), index * 3 + column);
                Ops.TensorOps.Copy(plan.Value(node), slot);
            }
            index++;
        }
        float[] host = values.ToArray();
        var sums = new double[3]; // loss, reconstruction, KL summed over images
        for (int b = 0; b < batches; b++)
        {
            for (int k = 0; k < 3; k++)
                sums[k] += host[b * 3 + k] * size;
        }
        SumOverRanks(sums);
        double loss = sums[0] / all.Count;
        return new Evaluation(loss, $"negative ELBO {loss:F2} nats/image (reconstruction {sums[1] / all.Count:F2} + KL {sums[2] / all.Count:F2})", $"-ELBO {loss:F2}");
    }
}
