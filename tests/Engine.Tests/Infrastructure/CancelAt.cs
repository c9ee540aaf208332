using Engine.Training;

namespace Engine.Tests.Infrastructure;

/// <summary>A callback that cancels <paramref name="cancel"/> when global step <paramref name="step"/> ends, as a signal mid-run would.</summary>
internal sealed class CancelAt(long step, CancellationTokenSource cancel) : TrainingCallback
{
    public override void OnStepEnd(StepEnd end)
    {
        if (end.GlobalStep == step)
            cancel.Cancel();
    }
}
