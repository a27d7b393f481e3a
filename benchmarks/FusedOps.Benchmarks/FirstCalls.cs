using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;

namespace FusedOps.Benchmarks;

/// <summary>
/// How fast the first calls are: a fresh child process (this program with <c>--first-call CASE</c>)
/// builds the model, freezes it and infers once (timed together, as a user's first result), then
/// times calls 2–30 one by one, then the steady state after a second of calls.
/// </summary>
internal static class FirstCalls
{
    private const string Marker = "FIRSTCALLS";

    private delegate void InferCall(ReadOnlySpan<float> input, Span<float> output, int batchSize);

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
    /// <remarks>
    /// Every call goes through one call site, a delegate bound to the model's <c>Infer</c>, as a serving loop would
    /// call it. Through <see cref="IInferenceModel"/> instead, the second call from each call site pays the runtime's
    /// one-time interface-dispatch set-up at that site (a dispatch stub written into executable memory: 15–25 µs
    /// measured here under load, 4–6 µs for an empty method in a ten-line program), a cost of the caller's call
    /// site and not of the model; docs/performance.md ("First calls") has the measurements.
    /// </remarks>
    public static int Child(string caseId)
    {
        CaseDefinition d = Workload.Definition(caseId);
        KernelOptions.MaxDegreeOfParallelism = 1; // the table reports one thread (the default is every core)
        long start = Stopwatch.GetTimestamp();
        IFusedModel model = d.Construct();
        IInferenceModel frozen = d.Freeze(model);
        float[] input = new float[d.Batch * model.InputLength], output = new float[d.Batch * model.OutputLength];
        InferCall infer = frozen.Infer;
        double first = Stopwatch.GetElapsedTime(start).TotalMilliseconds + Timed(infer, input, output, d.Batch);
        double[] early = new double[29];
        for (int i = 0; i < early.Length; i++)
        {
            early[i] = Timed(infer, input, output, d.Batch);
        }

        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1)
        {
            Timed(infer, input, output, d.Batch);
        }

        double[] steady = new double[51];
        for (int i = 0; i < steady.Length; i++)
        {
            steady[i] = Timed(infer, input, output, d.Batch);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Marker} {first} {Median(early)} {early.Max()} {Median(steady)}"));
        return 0;
    }

    // The one call site of every timed call (not inlined, so the call site stays one).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Timed(InferCall infer, float[] input, float[] output, int batch)
    {
        long t = Stopwatch.GetTimestamp();
        infer(input, output, batch);
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
