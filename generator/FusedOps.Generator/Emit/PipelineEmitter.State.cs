using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Emit;

/// <summary>Parameters, buffers and the constructors.</summary>
internal static partial class PipelineEmitter
{
    private static IEnumerable<(string Field, string Name, string Shape, bool Grad)> Tensors(Context e)
    {
        foreach (Layer l in e.Model.Layers)
        {
            Shape input = l.Index == 0 ? e.Model.Input : e.Model.Shapes[l.Index - 1];
            switch (l)
            {
                case Conv2dLayer conv:
                    yield return ($"_p{l.Index}Weight", $"{l.Index}.weight", $"{conv.OutChannels}, {input.C / conv.Groups}, {conv.KernelSize}, {conv.KernelSize}", true);
                    if (conv.Bias)
                    {
                        yield return ($"_p{l.Index}Bias", $"{l.Index}.bias", $"{conv.OutChannels}", true);
                    }

                    break;
                case LinearLayer linear:
                    yield return ($"_p{l.Index}Weight", $"{l.Index}.weight", $"{linear.OutFeatures}, {input.Length}", true);
                    if (linear.Bias)
                    {
                        yield return ($"_p{l.Index}Bias", $"{l.Index}.bias", $"{linear.OutFeatures}", true);
                    }

                    break;
                case BatchNormLayer bn:
                    if (bn.Affine)
                    {
                        yield return ($"_p{l.Index}Weight", $"{l.Index}.weight", $"{input.C}", true);
                        yield return ($"_p{l.Index}Bias", $"{l.Index}.bias", $"{input.C}", true);
                    }

                    yield return ($"_p{l.Index}RunningMean", $"{l.Index}.running_mean", $"{input.C}", false);
                    yield return ($"_p{l.Index}RunningVar", $"{l.Index}.running_var", $"{input.C}", false);
                    break;
            }
        }
    }

    private static void WriteState(CodeWriter w, Context e)
    {
        var tensors = Tensors(e).ToList();
        foreach (var t in tensors)
        {
            w.Line($"private readonly {R}.Parameter {t.Field};");
        }

        w.Line();
        w.Line("/// <summary>Creates the pipeline with PyTorch's default initialisation, seed 0.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public {e.Model.TypeName}()");
        w.Line("    : this(0)");
        w.Line("{");
        w.Line("}");
        w.Line();
        w.Line("/// <summary>Creates the pipeline with PyTorch's default initialisation (weights and biases U(±1/√fan_in), BatchNorm γ = 1, β = 0, mean 0, var 1), deterministic for <paramref name=\"seed\"/>.</summary>");
        w.Line(GeneratedCode);
        w.Open($"public {e.Model.TypeName}(int seed)");
        w.Line($"var rng = new {R}.InitRandom(seed);");
        foreach (Layer l in e.Model.Layers)
        {
            Shape input = l.Index == 0 ? e.Model.Input : e.Model.Shapes[l.Index - 1];
            foreach (var t in tensors.Where(t => t.Name.StartsWith($"{l.Index}.", System.StringComparison.Ordinal)))
            {
                w.Line($"{t.Field} = new {R}.Parameter(\"{t.Name}\", new int[] {{ {t.Shape} }}, {(t.Grad ? "true" : "false")});");
                int fanIn = l is Conv2dLayer conv ? input.C / conv.Groups * conv.KernelSize * conv.KernelSize : input.Length;
                if (l is Conv2dLayer or LinearLayer)
                {
                    w.Line($"rng.FillFanIn({t.Field}.Data, {fanIn});");
                }
                else if (t.Name.EndsWith(".weight", System.StringComparison.Ordinal) || t.Name.EndsWith(".running_var", System.StringComparison.Ordinal))
                {
                    w.Line($"global::System.Array.Fill({t.Field}.Data, 1f);");
                }
            }
        }

        w.Line($"Parameters = new {R}.ParameterList({string.Join(", ", tensors.Where(t => t.Grad).Select(t => t.Field))});");
        w.Line($"Buffers = new {R}.ParameterList({string.Join(", ", tensors.Where(t => !t.Grad).Select(t => t.Field))});");
        foreach (GroupView g in e.Groups.Where(g => g.Norm is not null || g.IsConv))
        {
            w.Line($"_sum{g.Index} = new double[{g.Channels}];");
            w.Line($"_sumSq{g.Index} = new double[{g.Channels}];");
        }

        foreach (GroupView g in e.Groups.Where(g => g.Norm is not null))
        {
            w.Line($"_mean{g.Index} = new float[{g.Channels}];");
            w.Line($"_invStd{g.Index} = new float[{g.Channels}];");
            w.Line($"_scale{g.Index} = new float[{g.Channels}];");
            w.Line($"_shift{g.Index} = new float[{g.Channels}];");
        }

        w.Close();
        w.Line();
        w.Line("/// <summary>Learnable tensors in state-dict order.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public {R}.ParameterList Parameters {{ get; }}");
        w.Line();
        w.Line("/// <summary>Running statistics (running_mean, running_var) in state-dict order.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public {R}.ParameterList Buffers {{ get; }}");
        w.Line();
        w.Line("/// <summary>Sets every parameter gradient to zero.</summary>");
        w.Line(GeneratedCode);
        w.Line("public void ZeroGrad() => Parameters.ZeroGrad();");
        w.Line();
    }

    /// <summary>The expression for a layer tensor's data, or an empty span when absent.</summary>
    private static string Data(Layer? layer, string suffix, bool present) =>
        layer is not null && present ? $"_p{layer.Index}{suffix}.Data" : "global::System.ReadOnlySpan<float>.Empty";
}
