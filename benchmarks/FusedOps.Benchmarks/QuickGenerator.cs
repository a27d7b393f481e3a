using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace FusedOps.Benchmarks;

/// <summary>
/// The generator part of <c>--quick</c> (alone with <c>--quick generator</c>): the three runs of
/// <see cref="GeneratorBenchmarks"/> timed with a Stopwatch, each on a new compilation object,
/// after a warm-up; medians, sampled round-robin. Then the caching check on a driver that tracks
/// steps (never the timed drivers).
/// </summary>
internal static class QuickGenerator
{
    private const double ColdBudgetSeconds = 4; // as many rounds as cold runs fit in this (3 to 9 rounds)
    private const int IncrementalPerRound = 3;
    private const double WarmupSeconds = 10;
    private const int WarmupBlock = 5;
    private const string Row = "  {0,-44} {1,11}   {2}";

    /// <summary>Prints the table and the check; false if the check failed.</summary>
    public static bool Run()
    {
        var clock = Stopwatch.StartNew();
        GeneratorWorkload workload = GeneratorWorkload.Create();
        double setupSeconds = clock.Elapsed.TotalSeconds;

        // Warm-up: the generator's and Roslyn's code through the JIT's tiers, which takes dozens of
        // runs (an incremental run starts several times slower than it ends): blocks of incremental
        // runs until a block is no faster than the one before, at most WarmupSeconds.
        double coldGuess = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            coldGuess = Math.Min(coldGuess, Cold(workload));
        }

        GeneratorWorkload.Run(GeneratorWorkload.CreateDriver(), workload.Compilation, out GeneratorDriver warm);
        var warmup = Stopwatch.StartNew();
        double previous = double.MaxValue;
        for (int block = 0; warmup.Elapsed.TotalSeconds < WarmupSeconds; block++)
        {
            var times = new List<double>();
            for (int i = 0; i < WarmupBlock; i++)
            {
                times.Add(Incremental(warm, workload.WithUnrelatedEdit()));
                times.Add(Incremental(warm, workload.WithPipelineEdit()));
            }

            double median = Median(times);
            if (block >= 2 && median > 0.95 * previous)
            {
                break;
            }

            previous = median;
        }

        double warmupSeconds = warmup.Elapsed.TotalSeconds;
        int rounds = Math.Clamp((int)(ColdBudgetSeconds / coldGuess), 3, 9);
        var cold = new List<double>();
        var unrelated = new List<double>();
        var pipeline = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            cold.Add(Cold(workload));
            for (int i = 0; i < IncrementalPerRound; i++)
            {
                unrelated.Add(Incremental(warm, workload.WithUnrelatedEdit()));
                pipeline.Add(Incremental(warm, workload.WithPipelineEdit()));
            }
        }

        double timedSeconds = clock.Elapsed.TotalSeconds - setupSeconds;
        GeneratorWorkload.CheckResult check = workload.Check();

        Console.WriteLine($"Source generator: {GeneratorWorkload.PipelineCount} pipelines in {GeneratorWorkload.PipelineFileCount} files + {GeneratorWorkload.OtherFileCount} other files ({workload.OtherLines} lines); "
            + $"generated {check.Sources} files, {check.Lines:N0} lines, {check.Characters:N0} chars ({check.Utf8Bytes / 1e6:F1} MB UTF-8)");
        Console.WriteLine($"  median of {rounds} cold and {rounds * IncrementalPerRound} incremental runs of each kind after 3 cold and {warmupSeconds:F1} s of incremental warm-up; each run on a new compilation object; drivers do not track steps");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, "case", "time", "incremental/cold"));
        double coldMedian = Median(cold);
        Print("Cold (new generator and driver, all emitted)", coldMedian, null);
        Print("After unrelated edit (driver has run once)", Median(unrelated), coldMedian);
        Print("After pipeline edit (driver has run once)", Median(pipeline), coldMedian);
        Console.WriteLine($"  unrelated edit: {workload.UnrelatedEditDescription}; pipeline edit: {workload.PipelineEditDescription}");

        // The check, on its own driver that tracks steps.
        Console.WriteLine($"  check (trackIncrementalGeneratorSteps: true, untimed): generator diagnostics {check.Diagnostics.Length}, exception {(check.Exception is null ? "none" : check.Exception.GetType().Name)}");
        foreach ((string step, Dictionary<IncrementalStepRunReason, int> reasons) in check.UnrelatedEdit)
        {
            Console.WriteLine($"    unrelated edit, {step}: {GeneratorWorkload.CheckResult.Describe(reasons)}");
        }

        Console.WriteLine($"    unrelated edit, generated sources whose text changed: {check.UnrelatedSourcesChanged}");
        Console.WriteLine($"  cached: {(check.UnrelatedEditCached && check.UnrelatedSourcesChanged == 0 ? "yes" : "no")} (every {nameof(FusedOps.Generator.FusedPipelineGenerator.ParseStep)}/{nameof(FusedOps.Generator.FusedPipelineGenerator.ModelStep)} output Cached or Unchanged after the unrelated edit)");
        foreach ((string step, Dictionary<IncrementalStepRunReason, int> reasons) in check.PipelineEdit)
        {
            Console.WriteLine($"    pipeline edit, {step}: {GeneratorWorkload.CheckResult.Describe(reasons)}");
        }

        Console.WriteLine($"    pipeline edit, generated sources whose text changed: {check.PipelineSourcesChanged}");
        Console.WriteLine($"  only the edited pipeline rebuilt: {(check.PipelineEditIsolated && check.PipelineSourcesChanged == 1 ? "yes" : "no")}");
        // FusedOps.Parse is ForAttributeWithMetadataName's transform, which Roslyn runs again for every
        // pipeline on each new compilation (hence Unchanged, not Cached); the emitter is not run again.
        double total = check.UnrelatedEditElapsed.TotalSeconds;
        Console.WriteLine($"  tracked unrelated-edit run: {Time(total)} in all; named steps above 1 %: "
            + string.Join(", ", check.UnrelatedEditStepTimes.Where(t => t.Elapsed.TotalSeconds >= total / 100).Select(t => $"{t.Step} {Time(t.Elapsed.TotalSeconds)}")));
        foreach (Diagnostic d in check.Diagnostics.Take(5))
        {
            Console.WriteLine($"    {d}");
        }

        Console.WriteLine($"  ({setupSeconds:F1} s to build the compilation, {timedSeconds:F1} s timing, {clock.Elapsed.TotalSeconds - setupSeconds - timedSeconds:F1} s check)");
        Console.WriteLine();
        return check.Passed;
    }

    private static void Print(string name, double seconds, double? cold)
    {
        string ratio = cold is null ? "1 (base)" : $"{seconds / cold:0.000} (1/{cold / seconds:F1})";
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, name, Time(seconds), ratio));
    }

    private static double Cold(GeneratorWorkload workload)
    {
        Compilation input = workload.FreshCompilation();
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        GeneratorWorkload.Run(GeneratorWorkload.CreateDriver(), input, out _);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Incremental(GeneratorDriver warm, Compilation input)
    {
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        GeneratorWorkload.Run(warm, input, out _);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> samples)
    {
        double[] sorted = [.. samples];
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Time(double seconds) => seconds switch
    {
        >= 1 => $"{seconds:F2} s",
        >= 1e-3 => $"{seconds * 1e3:F2} ms",
        _ => $"{seconds * 1e6:F0} µs",
    };
}
