namespace Engine.Tests.Infrastructure;

/// <summary>A text sink that runs an action the first time a written line contains a trigger (e.g. stop training after step k).</summary>
internal sealed class TriggerWriter(string trigger, Action action) : StringWriter
{
    private bool _fired;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (!_fired && value is not null && value.Contains(trigger, StringComparison.Ordinal))
        {
            _fired = true;
            action();
        }
    }
}
