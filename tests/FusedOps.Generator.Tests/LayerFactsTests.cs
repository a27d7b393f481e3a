using System;
using System.Collections;
using System.Linq;
using System.Reflection;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The layer catalogue (src/FusedOps/Catalog/LayerFacts.cs, internal, compiled into the runtime and linked
/// into the generator) against the public attribute classes: every attribute has an entry, every argument
/// is a constructor parameter or property of that name and type, and a new attribute's properties hold the
/// catalogued defaults. Read by reflection because the table is internal to both assemblies.
/// </summary>
public sealed class LayerFactsTests
{
    private static readonly Assembly s_runtime = typeof(LayerAttribute).Assembly;

    private static readonly Type[] s_attributes = [.. s_runtime.GetExportedTypes().Where(t => t.IsSubclassOf(typeof(LayerAttribute)) && !t.IsAbstract)];

    public static TheoryData<string> AttributeNames => [.. s_attributes.Select(t => t.Name)];

    [Fact]
    public void EveryLayerAttribute_HasOneEntry_AndEveryEntryAnAttribute()
    {
        string[] facts = Facts(s_runtime).Select(Name).ToArray();

        Assert.Equal(facts.Length, facts.Distinct().Count());
        Assert.Equal(s_attributes.Select(t => t.Name[..^"Attribute".Length]).Order(), facts.Order());
    }

    [Fact]
    public void GeneratorAndRuntime_CompileTheSameTable()
    {
        Assembly generator = typeof(FusedPipelineGenerator).Assembly;

        Assert.Equal(Facts(s_runtime).Select(Describe), Facts(generator).Select(Describe));
    }

    [Theory]
    [MemberData(nameof(AttributeNames))]
    public void Arguments_AreTheAttributesParametersAndProperties_WithTheirDefaults(string typeName)
    {
        Type type = s_attributes.Single(t => t.Name == typeName);
        object fact = Facts(s_runtime).Single(f => Name(f) + "Attribute" == typeName);
        object[] arguments = [.. (IEnumerable)Get(fact, "Arguments")];
        ParameterInfo[] parameters = type.GetConstructors().Single().GetParameters();

        // Constructor arguments first, in parameter order, named as the parameters.
        object[] positional = [.. arguments.Where(a => (bool)Get(a, "Positional"))];
        Assert.Equal(parameters.Select(p => p.Name), positional.Select(Name));
        Assert.Equal(parameters.Select(p => TypeName(p.ParameterType)), positional.Select(a => Get(a, "Type").ToString()));

        // Every property is a named argument of the same type; a new attribute holds its default.
        object[] ctorValues = [.. parameters.Select(p => p.ParameterType == typeof(string) ? "a" : (object)3)];
        object attribute = type.GetConstructors().Single().Invoke(ctorValues);
        object[] named = [.. arguments.Where(a => !(bool)Get(a, "Positional"))];
        PropertyInfo[] settable = [.. type.GetProperties().Where(p => p.CanWrite)];
        Assert.Equal(settable.Select(p => p.Name).Order(), named.Select(Name).Order());
        foreach (object argument in named)
        {
            PropertyInfo property = type.GetProperty(Name(argument))!;
            Assert.Equal(TypeName(property.PropertyType), Get(argument, "Type").ToString());
            object expected = Get(argument, "DefaultFrom") is string ? 3
                : property.PropertyType == typeof(int) ? Get(argument, "IntDefault")
                : property.PropertyType == typeof(float) ? Get(argument, "FloatDefault")
                : Get(argument, "BoolDefault");
            Assert.Equal(expected, property.GetValue(attribute));
        }
    }

    /// <summary>Declarations whose layers together own every kind of state (weight options, norms, a projection).</summary>
    public static TheoryData<string> StatefulDeclarations =>
    [
        "[FusedPipeline(4)] [Linear(3)] [Linear(3, WeightNorm = true)] [Linear(3, SpectralNorm = true)] [Linear(2, CosineNorm = true)] [BatchNorm] [PReLU] [LayerNorm] [GroupNorm(1)]",
        "[FusedPipeline(2, 6, 6)] [Save(\"a\")] [Conv2d(4, 3, Padding = 1, WeightNorm = true)] [Conv2d(4, 1, SpectralNorm = true)] [InstanceNorm(Affine = true)] [SwitchableNorm] [Add(\"a\", Projection = true)] [LocalResponseNorm(2)] [BatchNorm]",
    ];

    [Theory]
    [MemberData(nameof(StatefulDeclarations))]
    public void ReferenceState_UsesOnlyTheCataloguedKeys(string declaration)
    {
        var model = Reference.ReferenceModel.FromDeclaration(declaration);
        string[] layers = [.. declaration.Split('[', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => new string(l.TakeWhile(char.IsLetterOrDigit).ToArray()))];
        string[] names = [.. model.Parameters.Names.Concat(model.Buffers.Names)];

        Assert.NotEmpty(names);
        foreach (string name in names)
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            object fact = Facts(s_runtime).Single(f => Name(f) == layers[int.Parse(name[..dot], System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Contains(name[(dot + 1)..], ((IEnumerable)Get(fact, "StateKeys")).Cast<string>());
        }
    }

    private static object[] Facts(Assembly assembly) =>
        [.. (IEnumerable)assembly.GetType("FusedOps.Catalog.LayerFacts", throwOnError: true)!.GetField("All")!.GetValue(null)!];

    private static object Get(object target, string property) => target.GetType().GetProperty(property)!.GetValue(target)!;

    private static string Name(object fact) => (string)Get(fact, "Name");

    private static string Describe(object fact) =>
        Name(fact) + "(" + string.Join(", ", ((IEnumerable)Get(fact, "Arguments")).Cast<object>().Select(a =>
            $"{Name(a)}:{Get(a, "Type")}:{Get(a, "Positional")}:{Get(a, "Default")}:{Get(a, "Range")}")) + ") " + string.Join(",", ((IEnumerable)Get(fact, "StateKeys")).Cast<object>());

    private static string TypeName(Type type) =>
        type == typeof(int) ? "Int" : type == typeof(float) ? "Float" : type == typeof(bool) ? "Bool" : type == typeof(string) ? "String" : type.Name;
}
