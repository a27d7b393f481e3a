using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using FusedOps.Benchmarks.Onnx;
using FusedOps.Kernels;
using Microsoft.ML.OnnxRuntime;

namespace FusedOps.Benchmarks;

/// <summary>
/// <c>--quick</c>: the five cases B, C, S1, S2 and M, each against ONNX Runtime on the same graph in
/// this one process, timed by <see cref="Sampler"/> in alternating rounds; then the first calls of
/// each case in a fresh process. Every number printed is measured in this run.
/// </summary>
internal static class QuickBenchmark
{
    private const int Rounds = 9;
    private const double Tolerance = 1e-3; // largest |output − reference| accepted, relative to the output's largest magnitude

    // Targets: FusedOps at least this many times faster than ONNX Runtime (inference, one thread), and a
    // training step at most this many times ONNX Runtime's one-thread inference (libtorch's measured
    // training-step ratios, divided by the speed-up over libtorch aimed for).
    private static readonly Dictionary<string, (double Infer, double TrainWithin)> Targets = new()
    {
        ["B"] = (1.3, 2.16), ["C"] = (1.05, 2.12), ["S1"] = (3, 1.60), ["S2"] = (2.5, 1.47), ["M"] = (1.1, 2.75),
    };

    private const double TwoThreadTarget = 1.15; // B and C: FusedOps at 2 threads vs ONNX Runtime at 2 threads

    /// <summary>Runs <paramref name="cases"/> (all of <see cref="Workload.CaseIds"/> when null), then, for all, the kernel table and the first calls.</summary>
    public static int Run(IReadOnlyList<string>? cases = null)
    {
        Console.WriteLine($"FusedOps quick benchmark: {RuntimeInformation.FrameworkDescription}, {CpuName()}, {Environment.ProcessorCount} logical cores, kernels at {Bits(KernelOptions.MaxVectorBits)}.");
        double peak512 = FmaPeak.Vector512GigaFlops(), peak256 = FmaPeak.Vector256GigaFlops();
        double peak = KernelOptions.MaxVectorBits >= 512 ? peak512 : peak256;
        Console.WriteLine($"Measured FMA peak of one core: {peak512:F0} GFLOP/s with Vector512, {peak256:F0} with Vector256.");
        Console.WriteLine($"Peer: ONNX Runtime {Version()} (ORT_ENABLE_ALL, input and output bound to the same arrays); training yardstick: the same layers on System.Numerics.Tensors.TensorPrimitives.");
        Console.WriteLine($"Times are medians of {Rounds} rounds; each round times every row of every case once, in turn, so machine load hits all rows alike.");
        Console.WriteLine();

        var sampler = new Sampler();
        var rows = new List<CaseRows>();
        var disposables = new List<IDisposable>();
        bool outputsAgree = true;
        foreach (string id in cases ?? Workload.CaseIds)
        {
            Workload w = Workload.ForCase(id);
            var tp = new TensorPrimitivesBaseline(w);
            var r = new CaseRows(id, w)
            {
                Frozen1 = sampler.Add(w.FrozenInfer, 1),
                Frozen2 = sampler.Add(w.FrozenInfer, 2),
                Train = sampler.Add(w.TrainingStep, 1),
                TrainDirect = sampler.Add(() => WithoutWinograd(w.TrainingStep), 1),
                Primitives = sampler.Add(tp.TrainingStep, 1),
            };
            if (PackedLinearPreview.TryCreate(w) is { } preview)
            {
                r.Packed = sampler.Add(preview.Infer, 1);
                preview.Infer();
                r.Checks.Add(("PackedGemm wiring", Difference(Capture(w, w.ReferenceInfer), preview.Output)));
            }

            float[] expected = Capture(w, w.ReferenceInfer);
            r.Checks.Add(("Frozen.Infer", Difference(expected, Capture(w, w.FrozenInfer))));
            foreach (int threads in new[] { 1, 2 })
            {
                float[] output = new float[w.Batch * w.Model.OutputLength];
                OnnxPipeline? onnx = TryOnnx(w, output, threads);
                if (onnx is null)
                {
                    continue;
                }

                disposables.Add(onnx);
                onnx.Infer();
                r.Checks.Add(($"ORT {threads}T", Difference(expected, output)));
                (threads == 1 ? ref r.Onnx1 : ref r.Onnx2) = sampler.Add(onnx.Infer, 1);
            }

            // After ONNX Runtime has its copy of the state: a training Forward moves the running statistics.
            w.Model.Forward(w.Input, r.ForwardOutput, w.Batch);
            tp.TrainingStep();
            r.Checks.Add(("TensorPrimitives forward vs Forward", Difference(r.ForwardOutput, tp.Output.ToArray())));
            outputsAgree &= r.Checks.All(c => c.Difference <= Tolerance);
            rows.Add(r);
        }

        sampler.Measure(Rounds);
        foreach (IDisposable d in disposables)
        {
            d.Dispose();
        }

        PrintInference(rows, peak);
        PrintTwoThreads(rows);
        PrintTraining(rows, peak);
        PrintChecks(rows);
        if (cases is null)
        {
            KernelTable.Run(peak);
            PrintFirstCalls();
        }

        return outputsAgree ? 0 : 1;
    }

    private static void PrintInference(List<CaseRows> rows, double peak)
    {
        Console.WriteLine("Inference, 1 thread: Frozen.Infer vs ONNX Runtime (1 intra-op thread). Ratio = ORT time ÷ FusedOps time, above 1 = FusedOps faster.");
        Console.WriteLine("'packed' (Linear cases): the same layers on PackedGemm with the weights packed and BatchNorm folded once, bias and ReLU in the epilogue, wired by hand as Freeze() could do it.");
        Table table = new("case", "FusedOps", "GFLOP/s", "of peak", "ORT", "GFLOP/s", "ratio", "target", "", "packed", "ratio");
        foreach (CaseRows r in rows)
        {
            double f = r.Frozen1!.Seconds, o = r.Onnx1?.Seconds ?? double.NaN, ratio = o / f, packed = r.Packed?.Seconds ?? double.NaN;
            table.Add(r.Id, Time(f), Gflops(r.Flops.Inference, f), Percent(r.Flops.Inference / f / 1e9 / peak), Time(o), Gflops(r.Flops.Inference, o),
                $"{ratio:F2}", $"≥ {Targets[r.Id].Infer:F2}", Verdict(ratio >= Targets[r.Id].Infer, o), Time(packed), double.IsNaN(packed) ? "" : $"{o / packed:F2}");
        }

        table.Print();
    }

    private static void PrintTwoThreads(List<CaseRows> rows)
    {
        Console.WriteLine("Inference, 2 threads: Frozen.Infer with KernelOptions.MaxDegreeOfParallelism = 2 vs ONNX Runtime with 2 intra-op threads.");
        Table table = new("case", "FusedOps", "vs own 1T", "ORT", "vs own 1T", "ratio", "target", "");
        foreach (CaseRows r in rows)
        {
            double f = r.Frozen2!.Seconds, o = r.Onnx2?.Seconds ?? double.NaN, ratio = o / f;
            bool targeted = r.Id is "B" or "C";
            table.Add(r.Id, Time(f), $"{r.Frozen1!.Seconds / f:F2}×", Time(o), $"{(r.Onnx1?.Seconds ?? double.NaN) / o:F2}×", $"{ratio:F2}",
                targeted ? $"≥ {TwoThreadTarget:F2}" : "", targeted ? Verdict(ratio >= TwoThreadTarget, o) : "");
        }

        table.Print();
    }

    private static void PrintTraining(List<CaseRows> rows, double peak)
    {
        Console.WriteLine("Training step, 1 thread: ZeroGrad + Forward + Backward (no input gradient), as a multiple of ONNX Runtime's 1-thread inference time (lower is better).");
        Console.WriteLine("'no Winograd': the same step with Conv2dTrainer.WinogradEnabled = false (every product on the padded-width grid); GFLOP/s count direct-convolution FLOPs.");
        Table table = new("case", "FusedOps", "GFLOP/s", "of peak", "× ORT infer", "target", "", "no Winograd", "× ORT infer", "TensorPrimitives", "× ORT infer", "FusedOps speed-up");
        foreach (CaseRows r in rows)
        {
            double t = r.Train!.Seconds, d = r.TrainDirect!.Seconds, p = r.Primitives!.Seconds, o = r.Onnx1?.Seconds ?? double.NaN;
            table.Add(r.Id, Time(t), Gflops(r.Flops.Training, t), Percent(r.Flops.Training / t / 1e9 / peak), $"{t / o:F2}×", $"≤ {Targets[r.Id].TrainWithin:F2}×",
                Verdict(t / o <= Targets[r.Id].TrainWithin, o), Time(d), $"{d / o:F2}×", Time(p), $"{p / o:F2}×", $"{p / t:F2}×");
        }

        table.Print();
    }

    private static void PrintChecks(List<CaseRows> rows)
    {
        Console.WriteLine($"Outputs (largest |difference| relative to the largest |output|; the reference interpreter computes in double; accepted ≤ {Tolerance:0e+0}):");
        foreach (CaseRows r in rows)
        {
            Console.WriteLine($"  {r.Id}: {string.Join(", ", r.Checks.Select(c => $"{c.What} {c.Difference:0.0e+0}"))}");
        }

        Console.WriteLine();
    }

    /// <summary>Prints the first-calls table: a fresh child process per row.</summary>
    public static void PrintFirstCalls()
    {
        Console.WriteLine("First calls, Frozen.Infer in a fresh process, 1 thread (the first includes the constructor and Freeze; target: first under 50 ms, later calls within 1.5× of steady).");
        Console.WriteLine("'warm-up on' reruns the child with KernelOptions.WarmUp = true: the inference code compiled on a second core while the model is built and frozen.");
        Console.WriteLine("'tiering off' reruns the child with DOTNET_TieredCompilation=0: every method fully optimised on its first call, as AggressiveOptimization on every kernel would make it.");
        Console.WriteLine("'ORT' times ONNX Runtime on the same case through the same harness (its first includes building the session); 'control' is a bare");
        Console.WriteLine("4,096-float SIMD dot product with no library: what the machine alone does to the calls after a first call that JIT-compiled code.");
        Console.WriteLine("The first is split into building the model, Freeze (or the ORT session) and the first call, each with the part of it the JIT");
        Console.WriteLine("compiler took in brackets (System.Runtime.JitInfo, every thread); 'methods' is how many methods it compiled in all.");
        Table table = new("case", "subject", "first", "construct (JIT)", "freeze (JIT)", "call 1 (JIT)", "methods", "calls 2–30 median", "calls 2–30 worst", "steady", "worst ÷ steady");
        foreach (string id in Workload.CaseIds)
        {
            foreach (FirstCalls.Subject subject in new[] { FirstCalls.Subject.Fused, FirstCalls.Subject.FusedWarmUp, FirstCalls.Subject.FusedTieringOff, FirstCalls.Subject.Onnx })
            {
                AddFirstCalls(table, id, subject);
            }
        }

        AddFirstCalls(table, "-", FirstCalls.Subject.Control);
        table.Print();
    }

    private static void AddFirstCalls(Table table, string id, FirstCalls.Subject subject)
    {
        string name = subject switch
        {
            FirstCalls.Subject.Fused => "FusedOps",
            FirstCalls.Subject.FusedWarmUp => "FusedOps, warm-up on",
            FirstCalls.Subject.FusedTieringOff => "FusedOps, tiering off",
            FirstCalls.Subject.Onnx => "ORT",
            _ => "control",
        };
        if (FirstCalls.Measure(id == "-" ? Workload.CaseIds[0] : id, subject) is not { } v)
        {
            table.Add(id, name, "child process failed", "", "", "", "", "", "", "", "");
            return;
        }

        table.Add(id, name, Ms(v.First), $"{Ms(v.Parts.Construct)} ({Ms(v.Parts.ConstructJit)})", $"{Ms(v.Parts.Freeze)} ({Ms(v.Parts.FreezeJit)})", $"{Ms(v.Parts.Call)} ({Ms(v.Parts.CallJit)})", $"{v.Parts.Methods}", Ms(v.Median2To30), Ms(v.Max2To30), Ms(v.Steady), $"{v.Max2To30 / v.Steady:F1}×");
    }

    private static OnnxPipeline? TryOnnx(Workload w, float[] output, int threads)
    {
        try
        {
            return new OnnxPipeline(w.Model, w.Layers, w.Input, output, w.Batch, threads);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            // A peer, not the subject: a machine without ONNX Runtime's native library still gets FusedOps' rows.
            Console.WriteLine($"ONNX Runtime skipped: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    private static string Version()
    {
        try
        {
            return OnnxPipeline.RuntimeVersion;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
        {
            return "(not loadable)";
        }
    }

    private static float[] Capture(Workload workload, Action run)
    {
        run();
        return workload.Output.ToArray();
    }

    private static double Difference(float[] expected, float[] actual)
    {
        double max = 0, scale = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
            scale = Math.Max(scale, Math.Abs((double)expected[i]));
        }

        return max / scale;
    }

    private static string Verdict(bool met, double peer) => double.IsNaN(peer) ? "" : met ? "met" : "not met";

    private static string Gflops(long flops, double seconds) => double.IsNaN(seconds) ? "-" : $"{flops / seconds / 1e9:F1}";

    private static string Percent(double fraction) => double.IsNaN(fraction) ? "-" : $"{fraction * 100:F0}%";

    private static string Time(double seconds) => seconds switch
    {
        double.NaN => "-",
        >= 1e-3 => $"{seconds * 1e3:F3} ms",
        _ => $"{seconds * 1e6:F2} µs",
    };

    private static string Ms(double ms) => Time(ms / 1e3);

    // One training step with every training convolution on the padded-width grid, for the same-run comparison.
    private static void WithoutWinograd(Action step)
    {
        Conv2dTrainer.WinogradEnabled = false;
        try
        {
            step();
        }
        finally
        {
            Conv2dTrainer.WinogradEnabled = true;
        }
    }

    private static string Bits(int bits) => bits == 0 ? "scalar" : $"Vector{bits}";

    private static string CpuName()
    {
        const string cpuInfo = "/proc/cpuinfo";
        string? line = File.Exists(cpuInfo) ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    // The timed rows of one case.
    private sealed class CaseRows(string id, Workload workload)
    {
        public Sampler.Row? Frozen1;
        public Sampler.Row? Frozen2;
        public Sampler.Row? Train;
        public Sampler.Row? TrainDirect;
        public Sampler.Row? Primitives;
        public Sampler.Row? Onnx1;
        public Sampler.Row? Onnx2;
        public Sampler.Row? Packed;

        public string Id => id;

        public (long Inference, long Training) Flops { get; } = Workload.CaseFlops(id);

        public float[] ForwardOutput { get; } = new float[workload.Batch * workload.Model.OutputLength];

        public List<(string What, double Difference)> Checks { get; } = [];
    }
}
