using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace FusedOps.Benchmarks;

/// <summary>
/// How fast the first calls are: a fresh child process (this program with <c>--first-call CASE</c>)
/// builds the model, freezes it and infers once (timed together, as a user's first result), then
/// times calls 2–30 one by one, then the steady state after a second of calls.
/// </summary>
internal static class FirstCalls
{
    private const string Marker = "FIRSTCALLS";

    /// <summary>Result of one child: milliseconds.</summary>
    public readonly record struct Result(double First, double Median2To30, double Max2To30, double Steady);

    /// <summary>Runs the child for <paramref name="caseId"/> and parses its line; null if it failed.</summary>
    /// <param name="caseId">The case.</param>
    /// <param name="fullyOptimised">Run the child with tiered compilation off (every method compiled fully optimised on first call), what <c>AggressiveOptimization</c> on every kernel would give.</param>
    public static Result? Measure(string caseId, bool fullyOptimised)
    {
        string path = Environment.ProcessPath!;
        string dll = typeof(FirstCalls).Assembly.Location;
        bool viaHost = System.IO.Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        if (viaHost)
        {
            start.ArgumentList.Add(dll);
        }

        if (fullyOptimised)
        {
            start.Environment["DOTNET_TieredCompilation"] = "0";
        }

        start.ArgumentList.Add("--first-call");
        start.ArgumentList.Add(caseId);
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            return null;
        }

        double[] v = line[Marker.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new Result(v[0], v[1], v[2], v[3]);
    }

    /// <summary>The child's side: prints one line for the parent.</summary>
    public static int Child(string caseId)
    {
        CaseDefinition d = Workload.Definition(caseId);
        KernelOptions.MaxDegreeOfParallelism = 1; // the table reports one thread (the default is every core)
        long start = Stopwatch.GetTimestamp();
        IFusedModel model = d.Construct();
        IInferenceModel frozen = d.Freeze(model);
        float[] input = new float[d.Batch * model.InputLength], output = new float[d.Batch * model.OutputLength];
        frozen.Infer(input, output, d.Batch);
        double first = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        double[] early = new double[29];
        for (int i = 0; i < early.Length; i++)
        {
            long t = Stopwatch.GetTimestamp();
            frozen.Infer(input, output, d.Batch);
            early[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1)
        {
            frozen.Infer(input, output, d.Batch);
        }

        double[] steady = new double[51];
        for (int i = 0; i < steady.Length; i++)
        {
            long t = Stopwatch.GetTimestamp();
            frozen.Infer(input, output, d.Batch);
            steady[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Marker} {first} {Median(early)} {early.Max()} {Median(steady)}"));
        return 0;
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
