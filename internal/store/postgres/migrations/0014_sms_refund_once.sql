-- 0014_sms_refund_once: a text is refunded at most once. The stores
-- refund a failed text in the transaction that marks it failed, and a
-- message's status only moves forward; this index makes a second refund
-- of one message fail its transaction should any path ever try.
CREATE UNIQUE INDEX ledger_entries_sms_refund_once ON ledger_entries (operator_id, mode, reference_id)
    WHERE reason = 'sms.send.refund';
