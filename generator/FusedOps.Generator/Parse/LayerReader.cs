using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedOps.Generator.Parse;

/// <summary>
/// Turns one layer attribute into its <see cref="Layer"/> record, reporting out-of-range arguments on the
/// argument as written (<c>Padding = -1</c>, or the positional <c>0</c>), else on the whole attribute.
/// </summary>
internal static partial class LayerReader
{
    public static Layer Read(int index, AttributeData attribute, AttributeSyntax? syntax, List<DiagnosticInfo> diagnostics)
    {
        LocationInfo? location = LocationInfo.From(syntax);
        string className = attribute.AttributeClass?.Name ?? "?";
        string name = className.EndsWith(WellKnownNames.AttributeSuffix, System.StringComparison.Ordinal)
            ? className.Substring(0, className.Length - WellKnownNames.AttributeSuffix.Length)
            : className;
        var ctor = attribute.ConstructorArguments.Select(a => a.Value).ToArray();
        var named = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value.Value);
        var reader = new Reader(index, name, location, syntax, attribute.AttributeConstructor, diagnostics, named);

        WeightFormKind weightForm = name is "Linear" or "Conv2d" ? ReadWeightForm(index, name, reader, location, diagnostics) : WeightFormKind.Plain;
        if (ReadCosineLinear(index, name, ctor, reader, location) is { } cosine)
        {
            return cosine;
        }

        switch (name)
        {
            case "Linear":
                return new LinearLayer(index, reader.Positive("outFeatures", CtorInt(ctor, 0)), reader.Bool("Bias", true), location) { Form = weightForm };
            case "Conv2d":
                return new Conv2dLayer(
                    index,
                    reader.Positive("outChannels", CtorInt(ctor, 0)),
                    reader.Positive("kernelSize", CtorInt(ctor, 1)),
                    reader.Positive("Stride", reader.Int("Stride", 1)),
                    reader.NonNegative("Padding", reader.Int("Padding", 0)),
                    reader.Positive("Dilation", reader.Int("Dilation", 1)),
                    reader.Positive("Groups", reader.Int("Groups", 1)),
                    reader.Bool("Bias", true),
                    location)
                {
                    // The planner checks that Groups divides the input channels, which only it knows.
                    GroupsLocation = reader.LocationOf("Groups"),
                    Form = weightForm,
                };
            case "BatchNorm":
                return new BatchNormLayer(
                    index,
                    reader.PositiveFloat("Epsilon", reader.Float("Epsilon", 1e-5f)),
                    reader.UnitFloat("Momentum", reader.Float("Momentum", 0.1f)),
                    reader.Bool("Affine", true),
                    location);
            case "Flatten":
                return new FlattenLayer(index, location);
            case "Save":
                return new SaveLayer(index, CtorString(ctor), location);
            case "Add":
                return new AddLayer(index, CtorString(ctor), reader.Bool("Projection", false), location);
            case "Concat":
                return new ConcatLayer(index, CtorString(ctor), location);
            default:
                if (ReadStandalone(index, name, ctor, reader, location) is { } standalone)
                {
                    return standalone;
                }

                if (ActivationTable.TryGet(name, out ActivationEntry entry))
                {
                    var args = entry.Arguments.Select(a => reader.FiniteFloat(a.Name, reader.Float(a.Name, a.Default))).ToArray();
                    if (name == "HardTanh" && args[0] >= args[1])
                    {
                        // Min is blamed when written; HardTanh(Max = -2f) is wrong because of its Max.
                        LocationInfo? where = Argument(syntax, attribute.AttributeConstructor, "Min") is { } min ? LocationInfo.From(min)
                            : Argument(syntax, attribute.AttributeConstructor, "Max") is { } max ? LocationInfo.From(max)
                            : location;
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, where, index, name, "Min", Format(args[0]), $"it must be below Max ({Format(args[1])})"));
                    }

                    CheckActivation(reader, name, args);
                    string form = name == "GELU" && reader.Bool("Approximate", false) ? ActivationTable.GeluTanh : name;
                    return new ActivationLayer(index, form, new EquatableArray<float>(args), location);
                }

                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotYetSupported, location, index, name));
                return new UnsupportedLayer(index, name, location);
        }
    }

    /// <summary>A branch name as written; null becomes empty, which the planner reports as an unknown name.</summary>
    private static string CtorString(object?[] ctor) => ctor.Length > 0 && ctor[0] is string name ? name : string.Empty;

    internal static int CtorInt(object?[] ctor, int position) => ctor.Length > position && ctor[position] is int value ? value : 0;

    internal static string Format(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The argument of <paramref name="syntax"/> that sets <paramref name="name"/>: a property (<c>Padding = -1</c>),
    /// a named constructor argument (<c>kernelSize: 0</c>) or a positional one matched to the constructor's parameter.
    /// </summary>
    private static AttributeArgumentSyntax? Argument(AttributeSyntax? syntax, IMethodSymbol? constructor, string name)
    {
        if (syntax?.ArgumentList is not { } list)
        {
            return null;
        }

        int position = 0;
        foreach (AttributeArgumentSyntax argument in list.Arguments)
        {
            if (argument.NameEquals is { } equals)
            {
                if (equals.Name.Identifier.ValueText == name)
                {
                    return argument;
                }
            }
            else
            {
                // A constructor argument named out of order (kernelSize: 3, outChannels: 8) matches by
                // name; an unnamed one, or one named in its own position, by position.
                string? parameter = argument.NameColon?.Name.Identifier.ValueText
                    ?? (constructor is not null && position < constructor.Parameters.Length ? constructor.Parameters[position].Name : null);
                if (parameter == name)
                {
                    return argument;
                }

                position++;
            }
        }

        return null;
    }

    private sealed class Reader
    {
        private readonly int _index;
        private readonly string _layer;
        private readonly LocationInfo? _location;
        private readonly AttributeSyntax? _syntax;
        private readonly IMethodSymbol? _constructor;
        private readonly List<DiagnosticInfo> _diagnostics;
        private readonly Dictionary<string, object?> _named;

        public Reader(int index, string layer, LocationInfo? location, AttributeSyntax? syntax, IMethodSymbol? constructor, List<DiagnosticInfo> diagnostics, Dictionary<string, object?> named)
        {
            _index = index;
            _layer = layer;
            _location = location;
            _syntax = syntax;
            _constructor = constructor;
            _diagnostics = diagnostics;
            _named = named;
        }

        /// <summary>Where <paramref name="name"/> is written, or null when it is left at its default.</summary>
        public LocationInfo? LocationOf(string name) => LocationInfo.From(Argument(_syntax, _constructor, name));

        public int Int(string name, int fallback) => _named.TryGetValue(name, out object? v) && v is int i ? i : fallback;

        public float Float(string name, float fallback) => _named.TryGetValue(name, out object? v) && v is float f ? f : fallback;

        public bool Bool(string name, bool fallback) => _named.TryGetValue(name, out object? v) && v is bool b ? b : fallback;

        public int Positive(string name, int value) => Check(name, value, value >= 1, "it must be at least 1");

        public int NonNegative(string name, int value) => Check(name, value, value >= 0, "it must not be negative");

        public float FiniteFloat(string name, float value) => CheckF(name, value, !float.IsNaN(value) && !float.IsInfinity(value), "it must be a finite number");

        public float PositiveFloat(string name, float value) => CheckF(name, value, value > 0 && !float.IsInfinity(value), "it must be a finite number above 0");

        public float NonZeroFloat(string name, float value) => CheckF(name, value, value != 0, "it must not be 0");

        public float NonNegativeFloat(string name, float value) => CheckF(name, value, value >= 0 || float.IsNaN(value), "it must not be negative");

        public float UnitFloat(string name, float value) => CheckF(name, value, value >= 0 && value <= 1, "it must lie in [0, 1]");

        /// <summary>Dropout's p: 1 would scale the kept elements (none) by 1/0.</summary>
        public float DropProbability(string name, float value) => CheckF(name, value, value >= 0 && value < 1, "it must lie in [0, 1)");

        /// <summary>Reports the float <paramref name="name"/> = <paramref name="value"/> as out of range for <paramref name="rule"/>.</summary>
        public void ReportFloat(string name, float value, string rule) => CheckF(name, value, false, rule);

        /// <summary>Reports <paramref name="name"/> = <paramref name="value"/> as out of range for <paramref name="rule"/>.</summary>
        public void Report(string name, int value, string rule) => Check(name, value, false, rule);

        private int Check(string name, int value, bool ok, string rule)
        {
            if (!ok)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, LocationOf(name) ?? _location, _index, _layer, name, value, rule));
            }

            return value;
        }

        private float CheckF(string name, float value, bool ok, string rule)
        {
            if (!ok)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ArgumentOutOfRange, LocationOf(name) ?? _location, _index, _layer, name, Format(value), rule));
            }

            return value;
        }
    }
}
