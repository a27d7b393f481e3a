using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;
using Microsoft.CodeAnalysis;

namespace FusedOps.Generator.Parse;

/// <summary>Turns one layer attribute into a <see cref="LayerSpec"/>, reporting out-of-range arguments.</summary>
internal static class LayerReader
{
    public static LayerSpec Read(int index, AttributeData attribute, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        string className = attribute.AttributeClass?.Name ?? "?";
        string name = className.EndsWith(WellKnownNames.AttributeSuffix, System.StringComparison.Ordinal)
            ? className.Substring(0, className.Length - WellKnownNames.AttributeSuffix.Length)
            : className;
        var ctor = attribute.ConstructorArguments.Select(a => a.Value).ToArray();
        var named = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value.Value);
        var reader = new Reader(index, name, location, named, diagnostics);

        switch (name)
        {
            case "Linear":
                return LayerSpec.Create(index, LayerKind.Linear, name, location) with
                {
                    Out = reader.Positive("outFeatures", ctor.Length > 0 && ctor[0] is int o ? o : 0),
                    Bias = reader.Bool("Bias", true),
                };
            case "Conv2d":
            {
                var spec = LayerSpec.Create(index, LayerKind.Conv2d, name, location) with
                {
                    Out = reader.Positive("outChannels", ctor.Length > 0 && ctor[0] is int oc ? oc : 0),
                    Kernel = reader.Positive("kernelSize", ctor.Length > 1 && ctor[1] is int k ? k : 0),
                    Stride = reader.Positive("Stride", reader.Int("Stride", 1)),
                    Padding = reader.NonNegative("Padding", reader.Int("Padding", 0)),
                    Dilation = reader.Positive("Dilation", reader.Int("Dilation", 1)),
                    Groups = reader.Positive("Groups", reader.Int("Groups", 1)),
                    Bias = reader.Bool("Bias", true),
                };
                return spec;
            }

            case "BatchNorm":
                return LayerSpec.Create(index, LayerKind.BatchNorm, name, location) with
                {
                    Epsilon = reader.PositiveFloat("Epsilon", reader.Float("Epsilon", 1e-5f)),
                    Momentum = reader.UnitFloat("Momentum", reader.Float("Momentum", 0.1f)),
                    Affine = reader.Bool("Affine", true),
                };
            case "Flatten":
                return LayerSpec.Create(index, LayerKind.Flatten, name, location);
            default:
                if (ActivationTable.TryGet(name, out ActivationEntry entry))
                {
                    var args = entry.Arguments.Select(a => reader.FiniteFloat(a.Name, reader.Float(a.Name, a.Default))).ToArray();
                    if (name == "HardTanh" && args[0] >= args[1])
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, location, index, name, "Min", Format(args[0]), $"it must be below Max ({Format(args[1])})"));
                    }

                    return LayerSpec.Create(index, LayerKind.Activation, name, location) with { ActivationArguments = new EquatableArray<float>(args) };
                }

                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotYetSupported, location, index, name));
                return LayerSpec.Create(index, LayerKind.Unsupported, name, location);
        }
    }

    internal static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class Reader
    {
        private readonly int _index;
        private readonly string _layer;
        private readonly LocationInfo? _location;
        private readonly Dictionary<string, object?> _named;
        private readonly List<DiagnosticInfo> _diagnostics;

        public Reader(int index, string layer, LocationInfo? location, Dictionary<string, object?> named, List<DiagnosticInfo> diagnostics)
        {
            _index = index;
            _layer = layer;
            _location = location;
            _named = named;
            _diagnostics = diagnostics;
        }

        public int Int(string name, int fallback) => _named.TryGetValue(name, out object? v) && v is int i ? i : fallback;

        public float Float(string name, float fallback) => _named.TryGetValue(name, out object? v) && v is float f ? f : fallback;

        public bool Bool(string name, bool fallback) => _named.TryGetValue(name, out object? v) && v is bool b ? b : fallback;

        public int Positive(string name, int value) => Check(name, value, value >= 1, "it must be at least 1");

        public int NonNegative(string name, int value) => Check(name, value, value >= 0, "it must not be negative");

        public float FiniteFloat(string name, float value) => CheckF(name, value, !float.IsNaN(value) && !float.IsInfinity(value), "it must be a finite number");

        public float PositiveFloat(string name, float value) => CheckF(name, value, value > 0 && !float.IsInfinity(value), "it must be a finite number above 0");

        public float UnitFloat(string name, float value) => CheckF(name, value, value >= 0 && value <= 1, "it must lie in [0, 1]");

        private int Check(string name, int value, bool ok, string rule)
        {
            if (!ok)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, _location, _index, _layer, name, value, rule));
            }

            return value;
        }

        private float CheckF(string name, float value, bool ok, string rule)
        {
            if (!ok)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, _location, _index, _layer, name, Format(value), rule));
            }

            return value;
        }
    }
}
