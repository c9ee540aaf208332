namespace Engine.Bench.Cases;

/// <summary>A benchmark parameter that knows how many floating-point operations one run does.</summary>
public interface IFlopCounted
{
    /// <summary>Floating-point operations (a multiply-add counts 2) per benchmark invocation.</summary>
    double Flops { get; }
}
