// Clang's thread-safety annotations (-Wthread-safety), as in LevelDB's
// port/thread_annotations.h and Abseil's: which lock guards which field, which
// lock a function needs or must not hold. They expand to nothing on a
// compiler without the attribute (GCC), so they are checked only by a clang
// build with PA_JOURNAL_THREAD_SAFETY_ANALYSIS=ON (CMakeLists.txt), which CI
// runs. std::mutex carries no annotations in libstdc++: annotated code locks
// journal/mutex.h's Mutex instead.
#pragma once

#if defined(__clang__)
#define PA_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define PA_THREAD_ANNOTATION(x)
#endif

// The field is read and written only with the capability (a Mutex) held.
#define GUARDED_BY(x) PA_THREAD_ANNOTATION(guarded_by(x))
// What the pointer points to is guarded by x (the pointer itself is not).
#define PT_GUARDED_BY(x) PA_THREAD_ANNOTATION(pt_guarded_by(x))
// Lock order: this capability is taken after (or before) the ones named.
#define ACQUIRED_AFTER(...) PA_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) PA_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
// The caller must hold (or must not hold) the capabilities named.
#define REQUIRES(...) PA_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) PA_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) PA_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function takes (or lets go of) the capabilities named, or *this.
#define ACQUIRE(...) PA_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) PA_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) PA_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// Tells the analysis the capability is held (checked at run time, if at all,
// by the function).
#define ASSERT_CAPABILITY(x) PA_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) PA_THREAD_ANNOTATION(lock_returned(x))
// A class that is a lock (CAPABILITY) or that holds one for its scope.
#define CAPABILITY(x) PA_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY PA_THREAD_ANNOTATION(scoped_lockable)
// For the few functions whose locking the analysis cannot follow; each use
// says why next to it.
#define NO_THREAD_SAFETY_ANALYSIS PA_THREAD_ANNOTATION(no_thread_safety_analysis)
