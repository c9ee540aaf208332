using Engine.Data;
using Engine.Modules;
using Engine.Optim;

namespace Engine.Cli.Training;

/// <summary>
/// The epochs and steps of one run: each step checked for a non-finite loss or gradient, a commit
/// after every epoch (the best one too when the metric improved) and every <c>--save-every</c>
/// steps, and a stop at a committed checkpoint when the interrupt signal was raised.
/// </summary>
internal sealed class TrainingLoop(TrainingTask task, Module model, Optimizer optimizer, LearningRateSchedule schedule, DataLoader loader,
    RunFolder folder, InterruptSignal? interrupt, TrainSettings settings)
{
    private float _previousLoss = float.NaN;

    /// <summary>
    /// Trains from <paramref name="state"/> to the last epoch (or a stop at a commit), evaluating on
    /// <paramref name="test"/> after every epoch; returns the last committed state, the last
    /// evaluation and whether a signal stopped it.
    /// </summary>
    public (CheckpointInfo State, Evaluation? Evaluation, bool Interrupted) Run(CheckpointInfo state, ImageDataset test, ProgressReporter progress, Evaluation? evaluation)
    {
        int epochs = settings.Epochs!.Value, steps = loader.BatchesPerEpoch, batch = loader.BatchSize;
        for (int epoch = state.Epoch; epoch < epochs; epoch++)
        {
            string label = $"epoch {epoch + 1}/{epochs}";
            int step = epoch == state.Epoch ? state.Step : 0;
            double lossSum = epoch == state.Epoch ? state.EpochLossSum : 0;
            progress.BeginEpoch(label, steps, step, lossSum);
            foreach (var b in loader.Epoch(epoch, step))
            {
                optimizer.ZeroGrad();
                float loss = task.Step(b);
                CheckFinite(loss, b, epoch, step, state.GlobalStep);
                optimizer.Step();
                schedule.Step();
                _previousLoss = loss;
                lossSum += loss;
                step++;
                progress.Step(loss, batch);
                state = state with { Epoch = epoch, Step = step, EpochLossSum = lossSum, NoiseOffset = task.NoiseOffset };
                if (step == steps)
                    break; // the epoch's end commits with its evaluation
                bool stop = interrupt?.Requested == true;
                if (stop || settings.SaveEvery is int every && state.GlobalStep % every == 0)
                    folder.Commit(model, optimizer, state, isBest: false);
                if (stop)
                    return (state, evaluation, true);
            }
            evaluation = task.Evaluate(test, batch);
            progress.EndEpoch(evaluation);
            bool isBest = state.Best is not double best || (state.HigherIsBetter ? evaluation.Value > best : evaluation.Value < best);
            state = state with
            {
                Epoch = epoch + 1, Step = 0, EpochLossSum = 0, NoiseOffset = task.NoiseOffset, Value = evaluation.Value,
                Best = isBest ? evaluation.Value : state.Best, BestEpoch = isBest ? epoch + 1 : state.BestEpoch,
            };
            folder.Commit(model, optimizer, state, isBest);
            if (interrupt?.Requested == true && epoch + 1 < epochs)
                return (state, evaluation, true);
        }
        return (state, evaluation, false);
    }

    /// <summary>
    /// Stops the run when the loss or a gradient is not finite, before the update spreads it,
    /// naming what went wrong: the images, the weights, the gradients, or a diverging loss
    /// (the only case where a lower --lr is the likely cure).
    /// </summary>
    private void CheckFinite(float loss, Batch batch, int epoch, int step, long globalStep)
    {
        string where = $"epoch {epoch + 1} step {step + 1}";
        if (float.IsFinite(loss))
        {
            if (float.IsFinite(optimizer.GradientSquaredNorm()))
                return;
            var badGradients = NonFinite(p => p.Grad);
            if (badGradients.Count == 0)
                return; // only the sum of squares overflowed
            throw new InvalidDataException($"{where}: the gradient of {Names(badGradients)} is not finite (loss {loss:0.####})" +
                (globalStep > 0 ? $"; if it keeps happening, lower --lr (now {settings.LearningRate})." : "."));
        }
        int badImage = Array.FindIndex(batch.Images, v => !float.IsFinite(v));
        if (badImage >= 0)
            throw new InvalidDataException($"{where}: the loss is {loss} because the batch's images hold a non-finite value ({batch.Images[badImage]} in image {batch.Indices[badImage / (batch.Images.Length / batch.Indices.Length)]}).");
        var badWeights = NonFinite(p => p.Value);
        if (badWeights.Count > 0)
            throw new InvalidDataException($"{where}: the loss is {loss}: the weights {Names(badWeights)} are not finite" +
                (globalStep > 0 ? $" after {globalStep} updates; lower --lr (now {settings.LearningRate})." : "."));
        if (globalStep == 0)
            throw new InvalidDataException($"{where}: the loss of the first step is {loss} with finite weights and images: the model overflows on this data.");
        throw new InvalidDataException($"{where}: the loss diverged to {loss} (the step before: {_previousLoss:0.####}); lower --lr (now {settings.LearningRate}).");
    }

    private List<string> NonFinite(Func<Graph.Parameter, Tensors.Tensor> tensor) =>
        model.NamedParameters().Where(p => tensor(p.Parameter).ToArray().Any(v => !float.IsFinite(v))).Select(p => p.Name).ToList();

    private static string Names(List<string> names) => names.Count == 1 ? names[0] : $"{names[0]} and {names.Count - 1} more";
}
