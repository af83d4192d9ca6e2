// A small test runner (no NuGet at build time): runs every public static void method of the
// classes marked [TestClass] marked [Test], prints one line per test and ends with the line
// "N passed, N failed" that CI reads. Exit code 1 when any test failed. Arguments pick tests by a
// part of their name ("Handler"), or leave them out with a leading '!' ("!PackageTests": the
// release workflow, whose package holds every runtime, not the linux-x64 one it checks).
using System;
using System.Diagnostics;
using System.Linq;
using System.Reflection;

namespace OfficeRnD.Auth.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute { }

    public static class Runner
    {
        public static int Main(string[] args)
        {
            var tests = typeof(Runner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                .Where(m => Picked(m.DeclaringType.Name + "." + m.Name, args))
                .OrderBy(m => m.DeclaringType.Name).ThenBy(m => m.MetadataToken)
                .ToList();
            int passed = 0, failed = 0;
            var total = Stopwatch.StartNew();
            foreach (var test in tests)
            {
                var name = test.DeclaringType.Name + "." + test.Name;
                var watch = Stopwatch.StartNew();
                try
                {
                    test.Invoke(null, null);
                    passed++;
                    Console.WriteLine("PASS {0} ({1} ms)", name, watch.ElapsedMilliseconds);
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAIL {0} ({1} ms): {2}", name, watch.ElapsedMilliseconds, e.InnerException);
                }
            }
            Console.WriteLine("dotnet tests: {0} ms", total.ElapsedMilliseconds);
            Console.WriteLine("{0} passed, {1} failed", passed, failed);
            return failed == 0 && passed > 0 ? 0 : 1;
        }

        private static bool Picked(string name, string[] args)
        {
            var include = args.Where(a => !a.StartsWith("!")).ToList();
            var exclude = args.Where(a => a.StartsWith("!")).Select(a => a.Substring(1)).ToList();
            return (include.Count == 0 || include.Any(a => name.Contains(a))) && !exclude.Any(a => name.Contains(a));
        }
    }

    public static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition) throw new Exception("assertion failed: " + what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!Equals(expected, actual))
                throw new Exception(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
        }

        public static TException Throws<TException>(Action action, string what) where TException : Exception
        {
            try { action(); }
            catch (TException e) { return e; }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1 && e.InnerException is TException)
            {
                return (TException)e.InnerException;
            }
            catch (Exception e)
            {
                throw new Exception(what + ": expected " + typeof(TException).Name + ", got " + e.GetType().Name + ": " + e.Message);
            }
            throw new Exception(what + ": expected " + typeof(TException).Name + ", nothing was thrown");
        }

        public static void NoSecret(string s, string what)
        {
            foreach (var secret in Mock.Secrets)
                if (s != null && s.Contains(secret)) throw new Exception(what + " shows a secret: " + s);
        }
    }
}
