using System.Collections.Generic;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Parse;

/// <summary>Reading and range checks of the layers added after the second design (activations, pooling, norms, Dropout).</summary>
internal static partial class LayerReader
{
    /// <summary>The standalone layer (pooling, Dropout, a per-sample norm) named <paramref name="name"/>, or null for any other layer.</summary>
    private static Layer? ReadStandalone(int index, string name, Reader reader, LocationInfo? location)
    {
        switch (name)
        {
            case "Dropout":
                return new DropoutLayer(index, reader.Float("P"), location);
            case "MaxPool2d":
            case "AvgPool2d":
                int k = reader.Int("kernelSize");
                int stride = reader.Int("Stride");
                int padding = reader.Int("Padding");
                if (k >= 1 && padding > k / 2)
                {
                    // PyTorch: "pad should be at most half of effective kernel size".
                    reader.Report("Padding", padding, $"it must be at most half the kernel size ({k / 2})");
                }

                return new PoolLayer(index, name, name == "MaxPool2d" ? PoolKind.Max : PoolKind.Average, k, stride, padding, location);
            case "GlobalAvgPool2d":
                return new PoolLayer(index, name, PoolKind.GlobalAverage, 0, 1, 0, location);
            case "LayerNorm":
            case "GroupNorm":
            case "InstanceNorm":
                SampleNormKind kind = name == "LayerNorm" ? SampleNormKind.Layer : name == "GroupNorm" ? SampleNormKind.Group : SampleNormKind.Instance;
                int groups = kind == SampleNormKind.Group ? reader.Int("groups") : 1;
                float epsilon = reader.Float("Epsilon");
                bool affine = reader.Bool("Affine");
                return new SampleNormLayer(index, name, kind, groups, epsilon, affine, location) { GroupsLocation = reader.LocationOf("groups") };
            case "Maxout":
                return new MaxoutLayer(index, reader.Int("pieces"), location) { PiecesLocation = reader.LocationOf("pieces") };
            case "LocalResponseNorm":
                return new LocalResponseNormLayer(
                    index,
                    reader.Int("size"),
                    reader.Float("Alpha"),
                    reader.Float("Beta"),
                    reader.Float("K"),
                    location);
            case "SwitchableNorm":
                return new SwitchableNormLayer(
                    index,
                    reader.Float("Epsilon"),
                    reader.Float("Momentum"),
                    location);
            case "BipolarReLU":
                return new ChannelActivationLayer(index, name, ChannelActivationKind.BipolarReLU, 0, 0, 0, 0, location);
            case "PReLU":
                int parameters = reader.Int("NumParameters");
                float init = reader.Float("Init");
                return new ChannelActivationLayer(index, name, ChannelActivationKind.PReLU, parameters, init, 0, 0, location)
                {
                    NumParametersLocation = reader.LocationOf("NumParameters"),
                };
            case "RReLU":
                float lower = reader.Float("Lower");
                float upper = reader.Float("Upper");
                if (lower > upper)
                {
                    reader.ReportFloat("Lower", lower, $"it must not exceed Upper ({Format(upper)})");
                }

                return new ChannelActivationLayer(index, name, ChannelActivationKind.RReLU, 0, 0, lower, upper, location);
            default:
                return null;
        }
    }

    /// <summary>
    /// The weight option of a Linear or Conv2d (WeightNorm, SpectralNorm; CosineNorm exists on Linear only).
    /// More than one set is FOPS0005 on the second, as the reference and PyTorch allow one at a time.
    /// </summary>
    private static WeightFormKind ReadWeightForm(int index, string name, Reader reader, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (name == "Conv2d" && reader.LocationOf("CosineNorm") is { } cosine)
        {
            // Conv2dAttribute has no such property, so C# reports CS0246 too; this says what to write instead.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, cosine, index, name, "CosineNorm", "set",
                "cosine normalisation exists on Linear only; use [Flatten] and Linear(out, CosineNorm = true), or WeightNorm = true on the Conv2d"));
        }

        string? first = null;
        foreach (string option in new[] { "WeightNorm", "SpectralNorm", "CosineNorm" })
        {
            if (!reader.Bool(option))
            {
                continue;
            }

            if (first is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, reader.LocationOf(option) ?? location, index, name, option, "true",
                    $"it cannot be combined with {first}; set at most one of WeightNorm, SpectralNorm and CosineNorm"));
                break;
            }

            first = option;
        }

        return first switch
        {
            "WeightNorm" => WeightFormKind.WeightNorm,
            "SpectralNorm" => WeightFormKind.SpectralNorm,
            _ => WeightFormKind.Plain,
        };
    }

    /// <summary>
    /// <c>Linear(out, CosineNorm = true)</c> as its own layer kind (no bias, whatever <c>Bias</c> says, as the
    /// attribute documents), or null for any other layer.
    /// </summary>
    private static Layer? ReadCosineLinear(int index, string name, Reader reader, LocationInfo? location)
    {
        if (name != "Linear" || !reader.Bool("CosineNorm") || reader.Bool("WeightNorm") || reader.Bool("SpectralNorm"))
        {
            return null;
        }

        return new CosineLinearLayer(index, reader.Int("outFeatures"), location);
    }
}
