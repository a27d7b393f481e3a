using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The passes of the standalone groups (<see cref="AnchorKind.Standalone"/>): pooling and Dropout
/// (and the per-sample norms in <c>StandaloneEmitter.Norms.cs</c>), called from the training and
/// inference emitters at the group's one anchor pass. Also the training randomness (the step's stream
/// that Dropout draws from, and the model's <c>Seed</c>).
/// </summary>
internal static partial class StandaloneEmitter
{
    /// <summary>Whether a training forward draws random numbers (Dropout), so the model has a settable <c>Seed</c>.</summary>
    public static bool UsesRandomness(PipelineModel m) => m.Layers.Any(l => l is DropoutLayer or ChannelActivationLayer { Kind: ChannelActivationKind.RReLU });

    /// <summary>Training fields: what each standalone group saves for Backward, and the random stream's seed and step.</summary>
    public static void TrainingFields(CodeWriter w, PipelineModel m)
    {
        foreach (GroupPlan g in m.Groups.Where(g => g.Anchor == AnchorKind.Standalone))
        {
            if (ExtraTrainingFields(w, g))
            {
                continue;
            }

            switch (g.Op)
            {
                case DropoutLayer:
                    w.Line($"private float[] _factor{g.Index} = Array.Empty<float>();");
                    break;
                case PoolLayer { Kind: PoolKind.Max }:
                    w.Line($"private int[] _argMax{g.Index} = Array.Empty<int>();");
                    break;
                case SampleNormLayer norm:
                    NormTrainingFields(w, g, norm);
                    break;
                case ChannelActivationLayer { Kind: ChannelActivationKind.RReLU }:
                    w.Line($"private float[] _slopes{g.Index} = Array.Empty<float>();");
                    break;
                case MaxoutLayer:
                    w.Line($"private int[] _piece{g.Index} = Array.Empty<int>();");
                    break;
                case LocalResponseNormLayer:
                    w.Line($"private float[] _lrnD{g.Index} = Array.Empty<float>();");
                    w.Line($"private readonly float[] _lrnT{g.Index} = new float[{g.InLength}];");
                    break;
            }
        }

        if (UsesRandomness(m))
        {
            w.Line("// Training randomness: forward number _step draws from Dropout.Stream(_seed, _step) (restarted in place).");
            w.Line("private int _seed;");
            w.Line("private int _step;");
            w.Line("private InitRandom? _random;");
        }
    }

    /// <summary>Constructor lines: the seed of the training randomness.</summary>
    public static void TrainingConstructor(CodeWriter w, PipelineModel m)
    {
        if (UsesRandomness(m))
        {
            w.Line("_seed = seed;");
        }
    }

    /// <summary>Members after the constructor: the settable seed.</summary>
    public static void TrainingMembers(CodeWriter w, PipelineModel m)
    {
        if (!UsesRandomness(m))
        {
            return;
        }

        w.Summary("Seed of the training randomness; setting it restarts the step count, so the next Forward draws as a new model's first.");
        w.Open("internal int Seed");
        w.Line("get => _seed;");
        w.Line("set => (_seed, _step) = (value, 0);");
        w.Close();
        w.Line();
    }

    /// <summary>Forward's first lines after the checks: this step's random stream.</summary>
    public static void ForwardStart(CodeWriter w, PipelineModel m)
    {
        if (UsesRandomness(m))
        {
            w.Line("_random = Dropout.Restart(_random, _seed, _step++);");
        }
    }

    /// <summary>The group's training forward from <paramref name="x"/> (the group's input buffer) into <paramref name="z"/> (its output buffer).</summary>
    public static void Forward(CodeWriter w, PipelineModel m, GroupPlan g, string x, string z)
    {
        if (ExtraForward(w, g, x, z))
        {
            return;
        }

        if (g.Op is SampleNormLayer norm)
        {
            NormForward(w, g, norm, x, z);
            return;
        }

        if (g.Op is ChannelActivationLayer channel)
        {
            ChannelForward(w, g, channel, x, z);
            return;
        }

        int i = g.Index;
        string count = $"n * {g.OutLength}";
        switch (g.Op)
        {
            case DropoutLayer dropout:
                Grow(w, $"_factor{i}", "float", count);
                w.Line($"Dropout.Forward(ref {x}[0], ref {z}[0], ref _factor{i}[0], {count}, {Literal.Float(dropout.P)}, _random!);");
                break;
            case LocalResponseNormLayer lrn:
                Grow(w, $"_lrnD{i}", "float", count);
                w.Line($"LocalResponse.Forward(ref {x}[0], ref {z}[0], ref _lrnD{i}[0], {Lrn(g, lrn, "n")});");
                break;
            case MaxoutLayer maxout:
                Grow(w, $"_piece{i}", "int", count);
                w.Line($"ChannelActivations.MaxoutForward(ref {x}[0], ref {z}[0], ref _piece{i}[0], true, {Maxout(g, maxout, "n")});");
                break;
            case PoolLayer { Kind: PoolKind.Max } pool:
                Grow(w, $"_argMax{i}", "int", count);
                w.Line($"TrainingPasses.MaxForward(ref {x}[0], ref {z}[0], ref _argMax{i}[0], n, {g.Input.C}, {Window(g, pool)}, true);");
                break;
            case PoolLayer { Kind: PoolKind.Average } pool:
                w.Line($"Pooling.AvgForward(ref {x}[0], ref {z}[0], n * {g.Input.C}, {Window(g, pool)});");
                break;
            case PoolLayer:
                w.Line($"Pooling.GlobalAvgForward(ref {x}[0], ref {z}[0], n * {g.Input.C}, {g.Input.Spatial});");
                break;
        }
    }

    /// <summary>The group's backward: the input gradient from <c>dy</c> into <c>dx</c> when <c>wantInput</c>.</summary>
    public static void Backward(CodeWriter w, PipelineModel m, GroupPlan g, string x, string z)
    {
        if (ExtraBackward(w, g, x, z))
        {
            return;
        }

        if (g.Op is SampleNormLayer norm)
        {
            // γ and β take their gradients even when the input gradient is not wanted.
            NormBackward(w, g, norm, x);
            return;
        }

        if (g.Op is ChannelActivationLayer channel)
        {
            ChannelBackward(w, g, channel, x);
            return;
        }

        int i = g.Index;
        w.Open("if (!wantInput)");
        w.Line("return;");
        w.Close();
        w.Line();
        switch (g.Op)
        {
            case DropoutLayer:
                w.Line($"Dropout.Backward(ref dy, ref _factor{i}[0], ref dx, n * {g.OutLength});");
                break;
            case LocalResponseNormLayer lrn:
                w.Line($"LocalResponse.Backward(ref dy, ref {x}[0], ref _lrnD{i}[0], ref dx, _lrnT{i}, {Lrn(g, lrn, "n")});");
                break;
            case MaxoutLayer maxout:
                w.Line($"ChannelActivations.MaxoutBackward(ref dy, ref _piece{i}[0], ref dx, {Maxout(g, maxout, "n")});");
                break;
            case PoolLayer { Kind: PoolKind.Max } pool:
                w.Line($"TrainingPasses.MaxBackward(ref dy, ref _argMax{i}[0], ref dx, n, {g.Input.C}, {Window(g, pool)});");
                break;
            case PoolLayer { Kind: PoolKind.Average } pool:
                w.Line($"Pooling.AvgBackward(ref dy, ref dx, n * {g.Input.C}, {Window(g, pool)});");
                break;
            case PoolLayer:
                w.Line($"Pooling.GlobalAvgBackward(ref dy, ref dx, n * {g.Input.C}, {g.Input.Spatial});");
                break;
        }
    }

    /// <summary>The group's inference pass on <c>m</c> samples from <c>x</c> into <c>y</c>.</summary>
    public static void Infer(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        if (ExtraInfer(w, g))
        {
            return;
        }

        switch (g.Op)
        {
            case SampleNormLayer norm:
                NormInfer(w, g, norm);
                break;
            case ChannelActivationLayer channel:
                ChannelInfer(w, g, channel);
                break;
            case DropoutLayer:
                w.Line("// Dropout is the identity in inference.");
                w.Line($"Norm.Copy(ref x, ref y, m * {g.OutLength});");
                break;
            case LocalResponseNormLayer lrn:
                w.Line("// D is scratch here: rented, so concurrent calls do not share it.");
                w.Line($"float[] d = CallBuffers.Rent(m * {g.InLength});");
                w.Line($"LocalResponse.Forward(ref x, ref y, ref d[0], {Lrn(g, lrn, "m")});");
                w.Line("CallBuffers.Return(d);");
                break;
            case MaxoutLayer maxout:
                w.Line($"ChannelActivations.MaxoutForward(ref x, ref y, ref Unsafe.NullRef<int>(), false, {Maxout(g, maxout, "m")});");
                break;
            case PoolLayer { Kind: PoolKind.Max } pool:
                w.Line($"Pooling.MaxForward(ref x, ref y, ref Unsafe.NullRef<int>(), m * {g.Input.C}, {Window(g, pool)}, false);");
                break;
            case PoolLayer { Kind: PoolKind.Average } pool:
                w.Line($"Pooling.AvgForward(ref x, ref y, m * {g.Input.C}, {Window(g, pool)});");
                break;
            case PoolLayer:
                w.Line($"Pooling.GlobalAvgForward(ref x, ref y, m * {g.Input.C}, {g.Input.Spatial});");
                break;
        }
    }

    /// <summary>The group's pass in words for the header, with the passes over memory it makes inside.</summary>
    public static string Describe(GroupPlan g, Pass pass)
    {
        bool backward = pass.Has(StageKind.AnchorGradients);
        string act = g.Activation is null ? string.Empty : $" + {g.Activation.Name}";
        if (ExtraDescribe(g, backward) is { } extra)
        {
            return extra;
        }

        return g.Op switch
        {
            SampleNormLayer norm when backward => $"{norm.Name} backward: {g.Activation?.Name ?? "identity"}' + reductions, then input gradient (2 passes)",
            SampleNormLayer norm => $"{norm.Name}: statistics, then normalise + affine{act} (2 passes)",
            LocalResponseNormLayer when backward => "LocalResponseNorm backward: cross terms, then input gradient (2 passes)",
            _ => g.Op!.Name + (backward ? " backward (1 pass)" : " (1 pass)"),
        };
    }

    private static string Lrn(GroupPlan g, LocalResponseNormLayer lrn, string n) =>
        $"{n}, {g.Input.C}, {g.Input.Spatial}, new LocalResponse.Window({lrn.Size}, {Literal.Float(lrn.Alpha)}, {Literal.Float(lrn.Beta)}, {Literal.Float(lrn.K)})";

    private static string Maxout(GroupPlan g, MaxoutLayer maxout, string n) => $"{n}, {g.Output.C}, {maxout.Pieces}, {g.Output.Spatial}";

    internal static string Window(GroupPlan g, PoolLayer pool) =>
        $"new Pooling.Window({g.Input.H}, {g.Input.W}, {g.Output.H}, {g.Output.W}, {pool.KernelSize}, {pool.Stride}, {pool.Padding})";

    /// <summary>A saved buffer sized for the batch on first use (Forward has checked the batch).</summary>
    internal static void Grow(CodeWriter w, string field, string type, string count)
    {
        w.Open($"if ({field}.Length < {count})");
        w.Line($"{field} = new {type}[{count}];");
        w.Close();
        w.Line();
    }
}
