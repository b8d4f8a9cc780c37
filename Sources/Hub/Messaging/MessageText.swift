import FieldPayCore

/// The words of each message, in English and Hindi. WhatsApp sends approved templates (the values become its
/// body parameters, `WhatsAppCloud.parameters`), SMS sends the DLT-registered text (`SMSTemplate`); this is the
/// text a person reads on the dashboard, and what the templates are registered to say.
public enum MessageText {
    public static func render(_ kind: MessageKind, _ values: MessageValues, language: MessageLanguage, link: String?) -> String {
        let amount = values.amount.displayString
        let rep = values.rep ?? (language == .en ? "our representative" : "हमारे प्रतिनिधि")
        switch (kind, language) {
        case (.receipt, .en):
            return "Dear \(values.customer), we have received \(amount) against \(values.invoiceList). Receipt \(values.receiptNumber ?? ""): \(link ?? "")"
        case (.receipt, .hi):
            return "प्रिय \(values.customer), \(values.invoiceList) के लिए \(amount) प्राप्त हुए। रसीद \(values.receiptNumber ?? ""): \(link ?? "")"
        case (.reminder, .en):
            let upi = values.upiLink.map { "Pay by UPI: \($0)" } ?? "Please pay by UPI"
            return "Dear \(values.customer), \(amount) is overdue on \(values.invoiceList). \(upi) or to \(rep) on the next visit."
        case (.reminder, .hi):
            let upi = values.upiLink.map { "UPI से भुगतान करें: \($0)" } ?? "कृपया UPI से भुगतान करें"
            return "प्रिय \(values.customer), \(values.invoiceList) पर \(amount) बकाया है। \(upi) या अगली मुलाकात पर \(rep) को दें।"
        case (.statement, .en):
            return "Dear \(values.customer), your statement of account to \(values.asOf ?? ""): balance \(amount). \(link ?? "")"
        case (.statement, .hi):
            return "प्रिय \(values.customer), \(values.asOf ?? "") तक आपका खाता विवरण: शेष \(amount)। \(link ?? "")"
        }
    }
}
