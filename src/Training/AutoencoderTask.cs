using Engine.Data;
using Engine.Devices;
using Engine.Graph;
using Engine.Models;
using Engine.Ops.Random;
using Engine.Tensors;

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
    public override Evaluation Evaluate(ImageDataset data, int batchSize)
    {
        var share = Share(data); // this rank's share; the sums are added over the ranks below
        // The error is a per-image mean over the batch, so every batch must be full: the largest batch that divides N.
        int size = Enumerable.Range(1, Math.Min(Math.Max(batchSize, 100), share.Count)).Last(b => share.Count % b == 0);
        var g = new GraphBuilder(Device, training: true, seed: _evaluationKey); // training mode: the denoising kind corrupts, as it is judged
        var x = g.Input("x", size, share.Channels, share.Height, share.Width);
        var graph = Autoencoder.Build(x, PenaltyWeight, noise, noiseLevel);
        var penalty = graph.Penalty ?? graph.ReconstructionError;
        using var plan = g.CompileInference(graph.ReconstructionError, penalty);
        int batches = share.Count / size;
        using var values = Tensor.Empty(Device, batches, 2);
        using var staging = new BatchStaging(Device, x.Shape.Numel, 0);
        int index = 0;
        foreach (var batch in new DataLoader(share, size).Epoch(0))
        {
            staging.Upload(batch, plan.Value(x), null);
            plan.Forward();
            foreach (var (node, column) in new[] { (graph.ReconstructionError, 0), (penalty, 1) })
            {
                using var slot = values.Slice(new Shape(), index * 2 + column);
                Ops.TensorOps.Copy(plan.Value(node), slot);
            }
            index++;
        }
        float[] host = values.ToArray(); // one read for the whole pass
        var sums = new double[2];
        for (int b = 0; b < batches; b++)
        {
            sums[0] += host[b * 2] * size;
            sums[1] += host[b * 2 + 1] * size;
        }
        SumOverRanks(sums);
        double error = sums[0] / data.Count, perPixel = error / (data.Channels * data.Height * data.Width);
        string from = Autoencoder.Kind == AutoencoderKind.Denoising ? $" from inputs with {noise.ToString().ToLowerInvariant()} noise {noiseLevel:0.###}" : "";
        string penaltyText = Autoencoder.Kind switch
        {
            AutoencoderKind.Sparse => $"; L1 of the code {sums[1] / data.Count:F3} per image",
            AutoencoderKind.Contractive => $"; Jacobian norm² {sums[1] / data.Count:F3} per image",
            _ => "",
        };
        return new Evaluation(error, $"reconstruction error {error:F3} per image (MSE {perPixel:F5} per pixel){from}{penaltyText}", $"recon {error:F3}");
    }
}
