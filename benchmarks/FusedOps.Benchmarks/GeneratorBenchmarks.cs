using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Microsoft.CodeAnalysis;

namespace FusedOps.Benchmarks;

/// <summary>
/// The source generator on a compilation with 200 pipelines (<see cref="GeneratorWorkload"/>):
/// a cold run, and a run after an edit on a driver that has already run once. Each timed run gets
/// a new compilation object, made in <c>IterationSetup</c> (so one invocation per iteration); the
/// drivers do not track steps. The caching itself is checked in <see cref="Setup"/>, untimed.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private GeneratorWorkload _workload = null!;
    private GeneratorDriver _warmDriver = null!;
    private Compilation _input = null!;

    /// <summary>Builds the compilation, checks the generator's output and caching, and runs the warm driver once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _workload = GeneratorWorkload.Create();
        GeneratorWorkload.CheckResult check = _workload.Check();
        if (!check.Passed)
        {
            throw new InvalidOperationException($"Generator check failed: {check}");
        }

        GeneratorWorkload.Run(GeneratorWorkload.CreateDriver(), _workload.Compilation, out _warmDriver);
    }

    /// <summary>A new compilation object for <see cref="Cold"/>.</summary>
    [IterationSetup(Target = nameof(Cold))]
    public void FreshCompilation() => _input = _workload.FreshCompilation();

    /// <summary>The compilation with a file without pipelines edited, for <see cref="UnrelatedEdit"/>.</summary>
    [IterationSetup(Target = nameof(UnrelatedEdit))]
    public void EditUnrelated() => _input = _workload.WithUnrelatedEdit();

    /// <summary>The compilation with one pipeline's argument edited, for <see cref="PipelineEdit"/>.</summary>
    [IterationSetup(Target = nameof(PipelineEdit))]
    public void EditPipeline() => _input = _workload.WithPipelineEdit();

    /// <summary>A freshly constructed generator on a new driver: parse, plan and emit all 200 pipelines.</summary>
    [Benchmark(Baseline = true, Description = "Cold (new driver, 200 emitted)")]
    public long Cold() => GeneratorWorkload.Run(GeneratorWorkload.CreateDriver(), _input, out _);

    /// <summary>The driver that has run once, after an edit to a file without pipelines.</summary>
    [Benchmark(Description = "After unrelated edit")]
    public long UnrelatedEdit() => GeneratorWorkload.Run(_warmDriver, _input, out _);

    /// <summary>The driver that has run once, after one pipeline's first layer changed size.</summary>
    [Benchmark(Description = "After pipeline edit")]
    public long PipelineEdit() => GeneratorWorkload.Run(_warmDriver, _input, out _);

    /// <summary>
    /// Many warm-up iterations: Roslyn's and the generator's code take dozens of runs to reach the
    /// JIT's last tier (an incremental run starts several times slower than it ends), and each
    /// iteration is one invocation. Ratios to the cold run as plain numbers.
    /// </summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(50).WithIterationCount(30).WithId("Generator"));
            SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
        }
    }
}
