using Engine.Bench.Training;

namespace Engine.Bench.GpuCheck;

/// <summary>
/// A training step (zero grads, forward, backward, Adam; FP32) of a model case, as the suite's
/// TrainingStepBenchmarks runs it (<see cref="TrainingStep"/>: inputs 0.5, targets 0); images/s.
/// </summary>
internal static class TrainingRun
{
    public static void Run(CheckContext context, GpuCheckCase @case)
    {
        var m = @case.Model!;
        using var step = new TrainingStep(context.Device, m);
        // A step waits for itself (TrainingStep.Run synchronises), so the wait after a repetition is free.
        var (ms, _) = context.Timer.Measure(step.Run, context.Device.Synchronize, context.Deadline);
        double images = m.Batch / (ms / 1e3);
        string ran = $"{m.Model}, batch {m.Batch}, {m.Channels}x{m.Size}x{m.Size}";
        context.Log.Row(new ResultRow("engine", "train", m.Name, "step", ms, images, "images/s", context.Note(m.Name, "step", images, "images/s", ran)));
    }
}
