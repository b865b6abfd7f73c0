using System.Reflection;
using System.Reflection.Emit;
using TorchSharp;

namespace Cortex1.Model.Diagnostics;

/// <summary>
/// Finds code that hands TorchSharp a <see cref="Scalar"/> only the garbage collector owns.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns each number given to an op (<c>x + 1e-6</c>, <c>pow(2)</c>, and the hidden <c>alpha = 1</c> of
/// <c>add(Tensor)</c>) into a native c10::Scalar wrapped by a finalizable object, reads its handle and calls into libtorch.
/// Once the handle is read nothing keeps the wrapper alive, so a garbage collection on another thread can finalize it
/// (freeing the native Scalar) while libtorch still reads it: the op then fails with nonsense ("Unknown scalar type",
/// "Expected false to be true") or reads freed memory (dotnet/TorchSharp#1434). Rare, load-dependent and fatal to a
/// server, so the engine never does it: every Scalar it passes is held by <see cref="Scalars"/> until the op returns,
/// and this audit, run by the tests over the engine's assemblies, names any method that slips.
/// </remarks>
public static class ScalarAudit
{
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    static readonly Lazy<HashSet<MethodBase>> TorchSharpMakers = new(FindTorchSharpMakers);

    /// <summary>"Type.Method → callee" for each call in <paramref name="assembly"/> that makes a GC-owned Scalar,
    /// outside <paramref name="allowed"/> (the types that create Scalars and dispose them themselves).</summary>
    public static IReadOnlyList<string> Find(Assembly assembly, params Type[] allowed)
    {
        var makers = TorchSharpMakers.Value;
        var found = new List<string>();
        foreach (var type in SafeTypes(assembly))
        {
            if (allowed.Any(a => type == a || type.DeclaringType == a)) continue;
            foreach (var method in MethodsOf(type))
            foreach (var callee in Callees(method))
                if (IsScalarCreation(callee) || makers.Contains(callee))
                    found.Add($"{type.FullName}.{method.Name} → {callee.DeclaringType?.Name}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
        }
        return found.Distinct().Order().ToList();
    }

    static bool IsScalarCreation(MethodBase m) =>
        (m.DeclaringType == typeof(Scalar) && m.Name == "op_Implicit") || m.Name == "ToScalar";

    /// <summary>TorchSharp methods that create a Scalar themselves, directly or through the TorchSharp methods they call.</summary>
    static HashSet<MethodBase> FindTorchSharpMakers()
    {
        var calls = new Dictionary<MethodBase, List<MethodBase>>();
        foreach (var type in SafeTypes(typeof(torch).Assembly))
        foreach (var method in MethodsOf(type))
            calls[method] = Callees(method).ToList();
        var makers = calls.Where(kv => kv.Value.Any(IsScalarCreation)).Select(kv => kv.Key).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (method, callees) in calls)
                if (!makers.Contains(method) && callees.Any(makers.Contains)) grew = makers.Add(method) || grew;
        }
        // The conversions themselves are what callers are flagged for directly.
        makers.RemoveWhere(IsScalarCreation);
        return makers;
    }

    static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
    }

    static IEnumerable<MethodBase> MethodsOf(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all));
    }

    /// <summary>Every method a body calls (call, callvirt, newobj) or makes a delegate of (ldftn), by walking its IL.</summary>
    static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or NotSupportedException) { yield break; }
        if (il is null) yield break;
        for (var i = 0; i < il.Length;)
        {
            var op = il[i] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[i + 1])] : OpCodesByValue[il[i]];
            i += op.Size;
            // ldftn/ldvirtftn too: a method that makes a delegate of a Scalar maker (TorchSharp's optimisers do) runs it.
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn || op == OpCodes.Ldvirtftn)
            {
                var callee = Resolve(method, BitConverter.ToInt32(il, i));
                if (callee is not null) yield return callee;
            }
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }

    static MethodBase? Resolve(MethodBase method, int token)
    {
        try
        {
            return method.Module.ResolveMethod(token,
                method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null,
                method.IsGenericMethod ? method.GetGenericArguments() : null);
        }
        catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or MissingMethodException) { return null; }
    }
}
