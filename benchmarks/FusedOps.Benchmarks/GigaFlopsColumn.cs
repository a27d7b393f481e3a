using System;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FusedOps.Benchmarks;

/// <summary>Declares how many floating-point operations one invocation of a benchmark method does.</summary>
public interface IFlopCount
{
    /// <summary>FLOPs of one call of the benchmark method named <paramref name="method"/>, or 0 if not counted.</summary>
    long FlopsOf(string method);
}

/// <summary>
/// A BenchmarkDotNet column: GFLOP/s from the mean time and the FLOP count the benchmark class
/// declares through <see cref="IFlopCount"/> (an instance made with its parameterless constructor).
/// </summary>
public sealed class GigaFlopsColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(GigaFlopsColumn);

    /// <inheritdoc/>
    public string ColumnName => "GFLOP/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Billions of floating-point operations per second: 2 per multiply-add of every Conv2d and Linear (forward, weight and input gradients), divided by the mean time";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        object? instance = Activator.CreateInstance(benchmarkCase.Descriptor.Type);
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            // [Params] properties, so a parameterised class counts the FLOPs of this case's parameters.
            benchmarkCase.Descriptor.Type.GetProperty(parameter.Name)?.SetValue(instance, parameter.Value);
        }

        long flops = instance is IFlopCount counter ? counter.FlopsOf(benchmarkCase.Descriptor.WorkloadMethod.Name) : 0;
        return meanNanoseconds is > 0 && flops > 0
            ? (flops / meanNanoseconds.Value).ToString("F2", CultureInfo.InvariantCulture) // FLOP per ns = GFLOP/s
            : "-";
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
