using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>
/// Stage 2: infers every layer's output shape, cuts the pipeline into fusion groups
/// (<c>[Conv2d|Linear] [BatchNorm] [activation]</c>, each part optional, Flatten free), cuts each
/// group into passes per mode (<see cref="FusionRules"/>) and plans the buffers (<see cref="BufferPlanner"/>).
/// </summary>
internal static partial class PipelinePlanner
{
    private const long MaxElements = int.MaxValue / 64;

    public static PipelineModel? Plan(string? ns, string typeName, EquatableArray<string> containing, string hintName, Shape input, List<Layer> layers, List<DiagnosticInfo> diagnostics)
    {
        var shapes = new List<Shape>();
        Shape current = input;
        bool ok = true;
        foreach (Layer layer in layers)
        {
            Shape? next = Infer(layer, current, diagnostics);
            if (next is null)
            {
                ok = false;
                break;
            }

            if ((long)next.C * next.H * next.W > MaxElements)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerCannotTakeInput, layer.Location, layer.Index, layer.Name, current, $"its output {next} has more than {MaxElements} elements per sample"));
                ok = false;
                break;
            }

            if (layer is Conv2dLayer conv && !KernelLimits.Unrolled(conv.OutChannels / conv.Groups))
            {
                int perGroup = conv.OutChannels / conv.Groups;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotUnrolled, layer.Location, layer.Index, perGroup, KernelLimits.BlockCount(perGroup, KernelLimits.MaxRows256)));
            }

            if (layer is BatchNormLayer && next.Spatial == 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CannotTrain, layer.Location, layer.Index));
            }

            shapes.Add(next);
            current = next;
        }

        if (!ok)
        {
            return null;
        }

        // The emit model carries no locations: moving the declaration in its file must not re-run the emitter.
        var layersWithoutLocations = layers.Select(l => l.WithoutLocations());
        List<GroupPlan> groups = Group(input, layers, shapes);
        return new PipelineModel(
            ns, typeName, containing, hintName, input, layersWithoutLocations.ToEquatableArray(), shapes.ToEquatableArray(), groups.ToEquatableArray(), BufferPlanner.Plan(input, groups));
    }

    private static Shape? Infer(Layer layer, Shape x, List<DiagnosticInfo> diagnostics)
    {
        switch (layer)
        {
            case LinearLayer linear:
                if (x.Rank != 1)
                {
                    return Reject(layer, x, "Linear needs rank-1 input; add [Flatten] before it", diagnostics);
                }

                if ((long)linear.OutFeatures * x.Length > MaxElements)
                {
                    return Reject(layer, x, $"its weight [{linear.OutFeatures}, {x.Length}] has more than {MaxElements} elements", diagnostics);
                }

                return Shape.Vector(linear.OutFeatures);
            case Conv2dLayer conv:
                return InferConv(conv, x, diagnostics);
            case FlattenLayer:
                return Shape.Vector(x.Length);
            case PoolLayer pool:
                return InferPool(pool, x, diagnostics);
            case SampleNormLayer norm:
                return CheckSampleNorm(norm, x, diagnostics);
            default:
                return x;
        }
    }

    private static Shape? InferConv(Conv2dLayer layer, Shape x, List<DiagnosticInfo> diagnostics)
    {
        if (x.Rank != 3)
        {
            return Reject(layer, x, "Conv2d needs (channels, height, width) input", diagnostics);
        }

        if (x.C % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, layer.GroupsLocation ?? layer.Location, layer.Index, layer.Name, "Groups", layer.Groups, $"it must divide both the input channels ({x.C}) and outChannels ({layer.OutChannels})"));
            return null;
        }

        long span = ((long)layer.Dilation * (layer.KernelSize - 1)) + 1;
        long oh = ((x.H + (2L * layer.Padding) - span) / layer.Stride) + 1;
        long ow = ((x.W + (2L * layer.Padding) - span) / layer.Stride) + 1;
        if (x.H + (2L * layer.Padding) < span || x.W + (2L * layer.Padding) < span || oh < 1 || ow < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ShapeVanishes, layer.Location, layer.Index, layer.Name, x, $"({layer.OutChannels}, {System.Math.Max(0, oh)}, {System.Math.Max(0, ow)})"));
            return null;
        }

        long k2 = (long)layer.KernelSize * layer.KernelSize;
        if ((x.H + (2L * layer.Padding)) * (x.W + (2L * layer.Padding)) * x.C > MaxElements || k2 * x.C > MaxElements
            || (long)layer.OutChannels * (x.C / layer.Groups) * k2 > MaxElements)
        {
            return Reject(layer, x, $"the padded input, the kernel or the weight [{layer.OutChannels}, {x.C / layer.Groups}, {layer.KernelSize}, {layer.KernelSize}] has more than {MaxElements} elements", diagnostics);
        }

        return Shape.Image(layer.OutChannels, (int)oh, (int)ow);
    }

    private static Shape? Reject(Layer layer, Shape x, string why, List<DiagnosticInfo> diagnostics)
    {
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerCannotTakeInput, layer.Location, layer.Index, layer.Name, x, why));
        return null;
    }

    /// <summary>Greedy grouping: an op takes a following BatchNorm and then an activation; a BatchNorm without an op takes an activation.</summary>
    private static List<GroupPlan> Group(Shape input, List<Layer> layers, List<Shape> shapes)
    {
        var groups = new List<GroupPlan>();
        int i = 0;
        while (i < layers.Count)
        {
            Shape groupInput = i == 0 ? input : shapes[i - 1];
            Layer layer = layers[i];
            if (layer is FlattenLayer)
            {
                i++;
                continue;
            }

            if (layer is StandaloneLayer standalone)
            {
                // Pooling, Dropout and the per-sample norms are groups of their own (a norm takes the activation after it).
                ActivationLayer? taken = standalone.TakesActivation && i + 1 < layers.Count ? layers[i + 1] as ActivationLayer : null;
                i += taken is null ? 1 : 2;
                groups.Add(CreateStandalone(groups.Count, standalone, taken, groupInput, shapes[i - 1]));
                continue;
            }

            Layer? op = null;
            BatchNormLayer? norm = null;
            ActivationLayer? act = null;
            if (layer is Conv2dLayer or LinearLayer)
            {
                op = layers[i++];
            }

            if (i < layers.Count && layers[i] is BatchNormLayer bn && (op is not null || layer is BatchNormLayer))
            {
                norm = bn;
                i++;
            }

            if (i < layers.Count && layers[i] is ActivationLayer a)
            {
                act = a;
                i++;
            }

            groups.Add(Create(groups.Count, op, norm, act, groupInput, shapes[i - 1]));
        }

        if (groups.Count == 0)
        {
            // Only Flatten: one identity group copies the input.
            groups.Add(Create(0, null, null, null, input, shapes[shapes.Count - 1]));
        }

        return groups;
    }

    private static GroupPlan Create(int index, Layer? op, BatchNormLayer? norm, ActivationLayer? act, Shape input, Shape output)
    {
        AnchorKind anchor = op switch
        {
            Conv2dLayer => AnchorKind.Conv2d,
            LinearLayer => AnchorKind.Linear,
            _ => norm is null && act is null ? AnchorKind.Copy : AnchorKind.Elementwise,
        };
        bool bias = op is LinearLayer { Bias: true } or Conv2dLayer { Bias: true };
        ActivationOp activation = ActivationTable.Operator(act);
        return new GroupPlan(
            index,
            anchor,
            op?.WithoutLocations(),
            (BatchNormLayer?)norm?.WithoutLocations(),
            (ActivationLayer?)act?.WithoutLocations(),
            activation,
            input,
            output,
            op is Conv2dLayer conv ? ConvPlan.Create(conv, input, output) : null,
            FusionRules.Passes(Mode.Inference, anchor, bias, norm is not null, act is not null),
            FusionRules.Passes(Mode.TrainingForward, anchor, bias, norm is not null, act is not null),
            FusionRules.Passes(Mode.Backward, anchor, bias, norm is not null, act is not null));
    }
}
