using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Engine.Bench.Training;

/// <summary>Planned / naive activation memory of a training case's compiled graph.</summary>
internal sealed class MemoryColumn : IColumn
{
    public string Id => nameof(MemoryColumn);
    public string ColumnName => "Planned/Naive MiB";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => false;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Activation, saved-tensor and gradient buffers after liveness planning, against one buffer per value";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var training = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<Engine.Bench.Cases.ModelCase>().FirstOrDefault();
        if (training is null || benchmarkCase.Descriptor.Type != typeof(TrainingStepBenchmarks) || !TrainingStepBenchmarks.Plans.TryGetValue(training.Name, out var plan))
            return "-";
        return $"{plan.PlannedBytes / 1048576.0:0.0} / {plan.NaiveBytes / 1048576.0:0.0}";
    }

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
