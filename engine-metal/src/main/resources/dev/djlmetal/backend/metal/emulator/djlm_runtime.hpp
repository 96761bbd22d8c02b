// CPU runtime of the Metal kernel emulator: runs a grid of threadgroups with one OS thread per
// lane, so threadgroup barriers and SIMD-group reductions synchronize real concurrent lanes as on
// a GPU.
//
// This header is included BEFORE the kernel source: it pulls in every standard header the emulator
// needs while `thread`, `device`, `constant` and `threadgroup` are still ordinary identifiers (the
// shim header `metal_stdlib` turns them into macros).
#pragma once

#include <algorithm>
#include <barrier>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace djlm {

/** A thread or threadgroup position, as MSL's uint3. */
struct Uint3 {
    unsigned int x;
    unsigned int y;
    unsigned int z;
};

/** Lanes of one SIMD group (threadExecutionWidth of Apple GPUs). */
constexpr unsigned int kSimdWidth = 32;

/** Bytes reserved per lane for values exchanged by SIMD-group reductions. */
constexpr std::size_t kSlotBytes = 16;

/** Synchronization state shared by the lanes of the threadgroup being executed. */
struct Group {
    explicit Group(unsigned int lane_count)
        : lanes(lane_count), all(lane_count), slots(lane_count * kSlotBytes) {
        for (unsigned int first = 0; first < lane_count; first += kSimdWidth) {
            simd.push_back(std::make_unique<std::barrier<>>(
                    std::min(kSimdWidth, lane_count - first)));
        }
    }

    unsigned int lanes;
    std::barrier<> all;
    std::vector<std::unique_ptr<std::barrier<>>> simd;
    std::vector<unsigned char> slots;
};

/** The position of one lane, as the kernel's attribute arguments see it. */
struct Lane {
    Group* group;
    unsigned int lid;
    unsigned int sgid;
    unsigned int slid;
    Uint3 tgid;
};

inline thread_local Lane* current_lane = nullptr;

/** A barrier over every lane of the current threadgroup (MSL threadgroup_barrier). */
inline void barrier_all() {
    current_lane->group->all.arrive_and_wait();
}

/**
 * Sums v over the lanes of the calling lane's SIMD group (MSL simd_sum): each lane publishes its
 * value in its slot, all wait, every lane adds the slots in lane order, all wait again before the
 * slots can be reused.
 */
template <typename T>
T simd_sum(T v) {
    static_assert(sizeof(T) <= kSlotBytes, "simd_sum operand too large for the emulator");
    Lane& lane = *current_lane;
    Group& group = *lane.group;
    std::barrier<>& simd = *group.simd[lane.sgid];
    std::memcpy(&group.slots[lane.lid * kSlotBytes], &v, sizeof(T));
    simd.arrive_and_wait();
    const unsigned int first = lane.sgid * kSimdWidth;
    const unsigned int width = std::min(kSimdWidth, group.lanes - first);
    T total = T(0);
    for (unsigned int i = 0; i < width; ++i) {
        T value;
        std::memcpy(&value, &group.slots[(first + i) * kSlotBytes], sizeof(T));
        total += value;
    }
    simd.arrive_and_wait();
    return total;
}

/** Calls a lane's view of a kernel: buffers and the argument struct, then the lane's positions. */
using LaneFunction = void (*)(void* const* buffers, const Lane& lane);

/**
 * The lane threads: created on first use, grown to the largest threadgroup seen, parked between
 * dispatches and reused, so a dispatch costs no thread creation. The pool is intentionally never
 * destroyed (its threads simply end with the process).
 */
class LanePool {
public:
    static LanePool& instance() {
        static LanePool* pool = new LanePool();
        return *pool;
    }

    /**
     * Runs `function` on lanes [0, lanes) and returns once every lane has finished; returns false
     * when the lane threads could not be started. Calls are serialized.
     */
    bool run(unsigned int lanes, void (*function)(void*, unsigned int), void* context) {
        std::lock_guard<std::mutex> serial(dispatch_mutex_);
        std::unique_lock<std::mutex> lock(mutex_);
        try {
            while (workers_.size() < lanes) {
                const unsigned int index = static_cast<unsigned int>(workers_.size());
                workers_.emplace_back([this, index] { work(index); });
                workers_.back().detach();
            }
        } catch (...) {
            return false;
        }
        function_ = function;
        context_ = context;
        active_ = lanes;
        remaining_ = lanes;
        ++generation_;
        start_.notify_all();
        done_.wait(lock, [this] { return remaining_ == 0; });
        return true;
    }

private:
    LanePool() = default;

    void work(unsigned int index) {
        unsigned long long seen = 0;
        for (;;) {
            void (*function)(void*, unsigned int);
            void* context;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                start_.wait(lock, [&] { return generation_ != seen && index < active_; });
                seen = generation_;
                function = function_;
                context = context_;
            }
            function(context, index);
            std::lock_guard<std::mutex> lock(mutex_);
            if (--remaining_ == 0) {
                done_.notify_one();
            }
        }
    }

    std::mutex dispatch_mutex_;
    std::mutex mutex_;
    std::condition_variable start_;
    std::condition_variable done_;
    std::vector<std::thread> workers_;
    unsigned long long generation_ = 0;
    unsigned int active_ = 0;
    unsigned int remaining_ = 0;
    void (*function_)(void*, unsigned int) = nullptr;
    void* context_ = nullptr;
};

/** One dispatch: what every lane needs to run its share of the grid. */
struct Dispatch {
    void* const* buffers;
    Uint3 grid;
    LaneFunction function;
    Group* group;
};

/** Runs lane `lid` over every threadgroup of the grid, in the same order on every lane. */
inline void run_lane(void* context, unsigned int lid) {
    Dispatch& dispatch = *static_cast<Dispatch*>(context);
    Lane lane{dispatch.group, lid, lid / kSimdWidth, lid % kSimdWidth, {0, 0, 0}};
    current_lane = &lane;
    for (unsigned int z = 0; z < dispatch.grid.z; ++z) {
        for (unsigned int y = 0; y < dispatch.grid.y; ++y) {
            for (unsigned int x = 0; x < dispatch.grid.x; ++x) {
                lane.tgid = Uint3{x, y, z};
                dispatch.function(dispatch.buffers, lane);
                // The next threadgroup reuses the same threadgroup memory.
                dispatch.group->all.arrive_and_wait();
            }
        }
    }
    current_lane = nullptr;
}

/**
 * Runs every threadgroup of a grid, one threadgroup at a time (threadgroup memory is emulated with
 * function-scope statics), each with one pooled thread per lane.
 *
 * @param buffers the bound buffers, indexed as in the kernel's [[buffer(i)]] attributes
 * @param dims grid x, y, z then threads per threadgroup x, y, z
 * @return 0 on success, 1 for bad dimensions, 2 when the lane threads could not be started
 */
inline int run_grid(void* const* buffers, const unsigned int* dims, LaneFunction function) {
    const Uint3 grid{dims[0], dims[1], dims[2]};
    const unsigned long long lane_count =
            static_cast<unsigned long long>(dims[3]) * dims[4] * dims[5];
    if (lane_count == 0 || lane_count > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0) {
        return 1;
    }
    const unsigned int lanes = static_cast<unsigned int>(lane_count);
    Group group(lanes);
    Dispatch dispatch{buffers, grid, function, &group};
    return LanePool::instance().run(lanes, &run_lane, &dispatch) ? 0 : 2;
}

/** Binds buffer i to kernel parameter type P: a pointer as is, a reference to the pointee. */
template <typename P>
P bind_argument(void* buffer) {
    if constexpr (std::is_pointer_v<P>) {
        return static_cast<P>(buffer);
    } else {
        return *static_cast<std::remove_reference_t<P>*>(buffer);
    }
}

template <typename... A, std::size_t... I>
void call_kernel(void (*kernel)(A...), void* const* buffers, const Lane& lane,
        std::index_sequence<I...>) {
    using Parameters = std::tuple<A...>;
    kernel(bind_argument<std::tuple_element_t<I, Parameters>>(buffers[I])...,
            lane.tgid, lane.lid, lane.sgid, lane.slid);
}

/**
 * Calls a kernel whose parameters are its bound buffers followed by the four position arguments
 * (threadgroup_position_in_grid, thread_index_in_threadgroup, simdgroup_index_in_threadgroup,
 * thread_index_in_simdgroup).
 */
template <typename... A>
void call_kernel(void (*kernel)(A...), void* const* buffers, const Lane& lane) {
    static_assert(sizeof...(A) >= 4, "a kernel takes at least the four position arguments");
    call_kernel(kernel, buffers, lane, std::make_index_sequence<sizeof...(A) - 4>{});
}

}  // namespace djlm
