package io.matrixpush.sample.logic

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class ConversationBudgetTest {
    private fun posted(n: Int) = (1..n).map { PostedConversation("room$it", postedAtMs = 1000L * it) }

    @Test
    fun `with room to spare, or for a replacement, nothing is removed`() {
        assertEquals(emptyList<String>(), ConversationBudget.toEvict(posted(3), "new", max = 4))
        assertEquals(emptyList<String>(), ConversationBudget.toEvict(posted(4), "room2", max = 4), "replaces its own")
    }

    @Test
    fun `at the budget, the least recently posted conversations make room`() {
        assertEquals(listOf("room1"), ConversationBudget.toEvict(posted(4), "new", max = 4))
        val shuffled = posted(6).shuffled(java.util.Random(7))
        assertEquals(listOf("room1", "room2", "room3"), ConversationBudget.toEvict(shuffled, "new", max = 4))
    }

    @Test
    fun `the budget keeps a busy account well under Android's 50 notifications per app`() {
        // Conversations plus one summary per account, for a few accounts.
        assertEquals(true, ConversationBudget.MAX_CONVERSATIONS + 5 < 50)
    }
}
